import { readFileSync } from 'node:fs';
import type { Role } from '../../context/caller';
import { isRole } from '../../context/caller';

/** One configured API key; only the SHA-256 of the key is ever held. */
export interface ApiKeyEntry {
  id: string;
  /** SHA-256 digest of the key (32 bytes). */
  hash: Buffer;
  roles: Role[];
  tenant: string;
  expiresAt?: Date;
}

/** Outcome of parsing `FENNEC_API_KEYS` / `FENNEC_API_KEYS_FILE`; `problems` name each bad entry. */
export class ParsedApiKeys {
  constructor(
    readonly entries: ApiKeyEntry[],
    readonly problems: string[],
  ) {}

  /** What a boot error shows as the value: a count, never the hashes. */
  toJSON(): string {
    return `${this.entries.length} valid API key entr${this.entries.length === 1 ? 'y' : 'ies'}`;
  }
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const TENANT = /^[A-Za-z0-9._-]{1,64}$/;
const HASH = /^sha256:([0-9a-f]{64})$/i;

function parseEntry(raw: unknown, where: string): { entry?: ApiKeyEntry; problems: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [`${where} is not an object`] };
  const o = raw as Record<string, unknown>;
  const name = typeof o.id === 'string' && ID.test(o.id) ? `${where} (id "${o.id}")` : where;
  const problems: string[] = [];
  if (typeof o.id !== 'string' || !ID.test(o.id)) problems.push(`${name}: "id" must be 1-64 chars of [A-Za-z0-9._-]`);
  const hash = typeof o.hash === 'string' ? HASH.exec(o.hash)?.[1] : undefined;
  if (!hash) problems.push(`${name}: "hash" must be "sha256:" followed by 64 hex digits`);
  const roles = Array.isArray(o.roles) ? o.roles : [];
  if (roles.length === 0 || !roles.every(isRole)) {
    problems.push(`${name}: "roles" must be a non-empty array of viewer, operator, admin`);
  }
  if (typeof o.tenant !== 'string' || !TENANT.test(o.tenant)) {
    problems.push(`${name}: "tenant" must be 1-64 chars of [A-Za-z0-9._-]`);
  }
  let expiresAt: Date | undefined;
  if (o.expiresAt !== undefined) {
    expiresAt = typeof o.expiresAt === 'string' ? new Date(o.expiresAt) : undefined;
    if (!expiresAt || Number.isNaN(expiresAt.getTime())) problems.push(`${name}: "expiresAt" must be an ISO 8601 date`);
  }
  const unknown = Object.keys(o).filter((k) => !['id', 'hash', 'roles', 'tenant', 'expiresAt'].includes(k));
  if (unknown.length > 0) problems.push(`${name}: unknown field(s) ${unknown.join(', ')}`);
  if (problems.length > 0) return { problems };
  return {
    entry: {
      id: o.id as string,
      hash: Buffer.from(hash as string, 'hex'),
      roles: roles as Role[],
      tenant: o.tenant as string,
      expiresAt,
    },
    problems,
  };
}

/** Parses one JSON array of key entries; `source` names where it came from in every problem. */
export function parseApiKeyJson(json: string, source: string): ParsedApiKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return new ParsedApiKeys([], [`${source} is not valid JSON`]);
  }
  if (!Array.isArray(raw)) return new ParsedApiKeys([], [`${source} must be a JSON array of key entries`]);
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  raw.forEach((item, i) => {
    const r = parseEntry(item, `${source} entry #${i}`);
    problems.push(...r.problems);
    if (r.entry) entries.push(r.entry);
  });
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.id)) problems.push(`${source}: duplicate key id "${e.id}"`);
    seen.add(e.id);
  }
  return new ParsedApiKeys(entries, problems);
}

/** Parses the JSON in the file at `path` (the `FENNEC_API_KEYS_FILE` form). */
export function parseApiKeyFile(path: string, source: string): ParsedApiKeys {
  let json: string;
  try {
    json = readFileSync(path, 'utf8');
  } catch (e) {
    return new ParsedApiKeys([], [`${source}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseApiKeyJson(json, source);
}
