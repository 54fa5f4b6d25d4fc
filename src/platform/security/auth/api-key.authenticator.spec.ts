import { ApiKeyAuthenticator, hashApiKey } from './api-key.authenticator';
import type { AuthConfig } from './auth.config';

const entry = (id: string, key: string, expiresAt?: Date) => ({
  id,
  hash: Buffer.from(hashApiKey(key), 'hex'),
  roles: ['operator' as const],
  tenant: 'acme',
  expiresAt,
});

const config = (apiKeys: AuthConfig['apiKeys'], devMode = false) =>
  ({ apiKeys, jwt: undefined, devMode, metricsPublic: true }) as AuthConfig;

describe(ApiKeyAuthenticator.name, () => {
  it('should find the entry whose hash matches the presented key', () => {
    const auth = new ApiKeyAuthenticator(config([entry('a', 'key-a'), entry('b', 'key-b')]));
    expect(auth.authenticate('key-b')).toEqual({
      ok: true,
      caller: { id: 'b', kind: 'api-key', roles: ['operator'], tenant: 'acme' },
    });
    expect(auth.authenticate('key-c')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('should refuse an expired key', () => {
    const auth = new ApiKeyAuthenticator(config([entry('old', 'k', new Date('2026-01-01T00:00:00Z'))]));
    expect(auth.authenticate('k', new Date('2025-12-31T00:00:00Z')).ok).toBe(true);
    expect(auth.authenticate('k', new Date('2026-01-01T00:00:00Z'))).toEqual({ ok: false, reason: 'expired' });
  });

  it('should generate one admin dev key only in dev mode', () => {
    expect(new ApiKeyAuthenticator(config([])).configured).toBe(false);
    const dev = new ApiKeyAuthenticator(config([], true));
    expect(dev.configured).toBe(true);
    expect(dev.authenticate('fk_dev_guess').ok).toBe(false);
  });
});
