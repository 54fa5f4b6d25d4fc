import { parseApiKeyJson } from './api-key-entries';

const HASH = `sha256:${'ab'.repeat(32)}`;

describe('parseApiKeyJson', () => {
  it('should parse valid entries with optional expiry', () => {
    const r = parseApiKeyJson(
      JSON.stringify([
        { id: 'ci', hash: HASH, roles: ['operator'], tenant: 'acme', expiresAt: '2030-01-01T00:00:00Z' },
      ]),
      'FENNEC_API_KEYS',
    );
    expect(r.problems).toEqual([]);
    expect(r.entries[0]).toMatchObject({ id: 'ci', roles: ['operator'], tenant: 'acme' });
    expect(r.entries[0].hash).toHaveLength(32);
    expect(r.entries[0].expiresAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('should name each bad entry and what is wrong with it', () => {
    const r = parseApiKeyJson(
      JSON.stringify([
        { id: 'ok', hash: HASH, roles: ['admin'], tenant: 't' },
        { id: 'x', hash: 'sha256:zz', roles: [], tenant: '', expiresAt: 'soon', colour: 'red' },
        'nope',
      ]),
      'SRC',
    );
    expect(r.problems).toEqual([
      'SRC entry #1 (id "x"): "hash" must be "sha256:" followed by 64 hex digits',
      'SRC entry #1 (id "x"): "roles" must be a non-empty array of viewer, operator, admin',
      'SRC entry #1 (id "x"): "tenant" must be 1-64 chars of [A-Za-z0-9._-]',
      'SRC entry #1 (id "x"): "expiresAt" must be an ISO 8601 date',
      'SRC entry #1 (id "x"): unknown field(s) colour',
      'SRC entry #2 is not an object',
    ]);
  });

  it('should reject duplicate ids, non-arrays and invalid JSON', () => {
    const dup = { id: 'a', hash: HASH, roles: ['viewer'], tenant: 't' };
    expect(parseApiKeyJson(JSON.stringify([dup, dup]), 'S').problems).toEqual(['S: duplicate key id "a"']);
    expect(parseApiKeyJson('{}', 'S').problems).toEqual(['S must be a JSON array of key entries']);
    expect(parseApiKeyJson('[', 'S').problems).toEqual(['S is not valid JSON']);
  });

  it('should show only a count when serialised into a boot error', () => {
    expect(
      JSON.stringify(parseApiKeyJson(JSON.stringify([{ id: 'a', hash: HASH, roles: ['viewer'], tenant: 't' }]), 'S')),
    ).toBe('"1 valid API key entry"');
  });
});
