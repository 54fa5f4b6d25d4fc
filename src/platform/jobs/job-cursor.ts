/** Position in the newest-first job listing. */
export interface JobCursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(c: JobCursor): string {
  return Buffer.from(`${c.createdAt}:${c.id}`).toString('base64url');
}

/** Undefined for anything that is not a cursor this module issued (the caller gets a 400). */
export function decodeCursor(raw: string): JobCursor | undefined {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):([A-Za-z0-9-]{1,100})$/.exec(text);
  if (!m) return undefined;
  return { createdAt: Number(m[1]), id: m[2] };
}
