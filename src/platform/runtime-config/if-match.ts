import { RequestValidationError } from '../errors/common.errors';

/** Parses `If-Match: 3`, `"3"` or `W/"3"` into a version; absent or `*` is undefined. */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  const raw = (Array.isArray(header) ? header[0] : header)?.trim();
  if (raw === undefined || raw === '' || raw === '*') return undefined;
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw);
  if (!m) {
    throw new RequestValidationError('If-Match must be a configuration version such as "3"', {
      fieldErrors: [{ field: 'If-Match', message: 'must be a version number, optionally quoted' }],
    });
  }
  return Number(m[1]);
}

/** The ETag of a configuration version. */
export const etagOf = (version: number) => `"${version}"`;
