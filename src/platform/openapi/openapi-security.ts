import type { INestApplication } from '@nestjs/common';
import type { DocumentBuilder, OpenAPIObject } from '@nestjs/swagger';
import { problemResponse } from './api-problems.decorator';
import {
  PUBLIC_EXTENSION,
  PUBLIC_SWITCHES,
  type PublicSwitch,
  type PublicSwitches,
  ROLE_EXTENSION,
} from '../route-metadata/access.decorators';

export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** Declares the two ways to authenticate and requires one of them on every operation by default. */
export function addSecuritySchemes(builder: DocumentBuilder): DocumentBuilder {
  return builder
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key or a JWT (HS256/RS256)' }, BEARER_SCHEME)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key' }, API_KEY_SCHEME)
    .addSecurityRequirements(BEARER_SCHEME)
    .addSecurityRequirements(API_KEY_SCHEME);
}

/**
 * Public operations (`@Public()`, or `@PublicIf()` with its setting on) get `security: []`;
 * the others document their 401 and, with `@Roles()`, 403 answers. Every operation can answer 429.
 */
export function applyOperationSecurity(app: INestApplication, doc: OpenAPIObject): void {
  let switches: PublicSwitches | undefined;
  try {
    switches = app.get<PublicSwitches>(PUBLIC_SWITCHES, { strict: false });
  } catch {
    switches = undefined; // an app without the security module: only @Public() routes are public
  }
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method] as (Record<string, unknown> & { responses: Record<string, unknown> }) | undefined;
      if (!op) continue;
      const flag = op[PUBLIC_EXTENSION] as boolean | PublicSwitch | undefined;
      delete op[PUBLIC_EXTENSION];
      const isPublic = flag === true || (typeof flag === 'string' && switches?.[flag] === true);
      if (isPublic) {
        op.security = [];
      } else {
        op.responses['401'] ??= problemResponse(401, 'No or invalid credentials (AUTH.REQUIRED, AUTH.INVALID)');
        op.responses['403'] ??= problemResponse(
          403,
          `Caller lacks the ${(op[ROLE_EXTENSION] as string) ?? 'viewer'} role (AUTH.FORBIDDEN)`,
        );
      }
      op.responses['429'] ??= problemResponse(429, 'Rate limit exceeded (RATE_LIMIT.EXCEEDED)');
    }
  }
}
