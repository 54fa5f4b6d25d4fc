import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenApiInfo } from './platform/openapi/openapi-document';

// Same depth from src/ and dist/, so this resolves in tests and in the built app alike.
const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

export const APP_INFO: OpenApiInfo = {
  title: 'Fennec',
  version: pkg.version,
  description:
    'Fennec service platform. Every error is RFC 9457 application/problem+json with a stable `code` and the `requestId`.',
};
