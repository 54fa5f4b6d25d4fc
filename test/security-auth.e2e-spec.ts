import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { CallerProbeController } from './fixtures/security/caller-probe.controller';
import { createTestApp } from './support/create-test-app';
import { LogCapture } from './support/log-capture';
import { apiKeysJson, bearer, TEST_AUTH, TEST_KEYS } from './support/test-credentials';
import { eventually } from './support/eventually';

const SECRET = 'an-hs256-secret-that-is-long-enough-0123';
const extra = { controllers: [CallerProbeController] };

function hsToken(claims: Record<string, unknown>, opts: { exp?: string | number; iss?: string; aud?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-7')
    .setIssuer(opts.iss ?? 'https://issuer.test')
    .setAudience(opts.aud ?? 'fennec')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(new TextEncoder().encode(SECRET));
}

describe('Authentication and roles (e2e)', () => {
  let app: NestExpressApplication;
  const logs = new LogCapture();
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({
      extra,
      logStream: logs,
      env: {
        LOG_LEVEL: 'info',
        JWT_SECRET: SECRET,
        JWT_ISSUER: 'https://issuer.test',
        JWT_AUDIENCE: 'fennec',
        JWT_CLOCK_SKEW_SECONDS: '30',
        JWT_ROLES_CLAIM: 'realm.roles',
        JWT_ROLE_MAP: 'fennec-ops:operator,fennec-root:admin',
        FENNEC_API_KEYS: apiKeysJson([
          ...Object.values(TEST_KEYS.acme),
          ...Object.values(TEST_KEYS.globex),
          { id: 'old', key: 'fk_expired_key_0123456789', role: 'admin', tenant: 'acme' },
        ]).replace('"id":"old"', '"id":"old","expiresAt":"2020-01-01T00:00:00Z"'),
      },
    });
  });
  afterAll(() => app.close());

  it('should answer 401 AUTH.REQUIRED without credentials', async () => {
    const res = await http().get('/caller-probe');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTH.REQUIRED');
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('should answer 401 AUTH.INVALID for an unknown key, an expired key and a non-Bearer scheme', async () => {
    for (const req of [
      http().get('/caller-probe').set('authorization', 'Bearer fk_nope'),
      http().get('/caller-probe').set('x-api-key', 'fk_expired_key_0123456789'),
      http().get('/caller-probe').set('authorization', 'Basic dXNlcjpwYXNz'),
    ]) {
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH.INVALID');
    }
  });

  it('should accept a key as Bearer or x-api-key and expose the caller and tenant', async () => {
    const a = await http().get('/caller-probe').set('authorization', bearer(TEST_AUTH.viewer));
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      caller: { id: 'acme-viewer', kind: 'api-key', roles: ['viewer'], tenant: 'acme' },
      tenant: 'acme',
    });
    const b = await http().get('/caller-probe').set('x-api-key', TEST_KEYS.globex.viewer.key);
    expect(b.body.tenant).toBe('globex');
  });

  it('should keep the caller context across body parsing and awaits', async () => {
    const res = await http()
      .post('/caller-probe/notes')
      .set('x-api-key', TEST_KEYS.globex.operator.key)
      .send({ text: 'hello' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ tenant: 'globex', length: 5 });
  });

  it('should answer 403 AUTH.FORBIDDEN when the role ranks too low, and let higher roles in', async () => {
    const viewer = await http()
      .post('/caller-probe/notes')
      .set('authorization', bearer(TEST_AUTH.viewer))
      .send({ text: 'x' });
    expect(viewer.status).toBe(403);
    expect(viewer.body.code).toBe('AUTH.FORBIDDEN');
    const op = await http().get('/caller-probe/admin').set('authorization', bearer(TEST_AUTH.operator));
    expect(op.status).toBe(403);
    const admin = await http().get('/caller-probe/admin').set('authorization', bearer(TEST_AUTH.admin));
    expect(admin.status).toBe(200);
  });

  it('should accept a valid HS256 JWT and map its roles and tenant claims', async () => {
    const token = await hsToken({ tenant: 'initech', realm: { roles: ['fennec-ops', 'unrelated'] } });
    const res = await http().get('/caller-probe').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.caller).toEqual({ id: 'user-7', kind: 'jwt', roles: ['operator'], tenant: 'initech' });
    const admin = await http()
      .get('/caller-probe/admin')
      .set('authorization', `Bearer ${await hsToken({ tenant: 'initech', realm: { roles: ['fennec-root'] } })}`);
    expect(admin.status).toBe(200);
  });

  it('should reject JWTs with a wrong issuer, audience, signature, missing tenant or expiry beyond the skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      await hsToken({ tenant: 't', realm: { roles: ['viewer'] } }, { iss: 'https://evil.test' }),
      await hsToken({ tenant: 't', realm: { roles: ['viewer'] } }, { aud: 'other' }),
      await hsToken({ realm: { roles: ['viewer'] } }),
      await hsToken({ tenant: 't', realm: { roles: ['viewer'] } }, { exp: now - 120 }),
      (await hsToken({ tenant: 't', realm: { roles: ['viewer'] } })).slice(0, -3) + 'AAA',
    ];
    for (const token of bad) {
      const res = await http().get('/caller-probe').set('authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('AUTH.INVALID');
    }
    const withinSkew = await hsToken({ tenant: 't', realm: { roles: ['viewer'] } }, { exp: now - 10 });
    expect((await http().get('/caller-probe').set('authorization', `Bearer ${withinSkew}`)).status).toBe(200);
  });

  it('should answer 403 for a valid JWT whose roles map to nothing', async () => {
    const token = await hsToken({ tenant: 't', realm: { roles: ['nobody'] } });
    const res = await http().get('/caller-probe').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
  });

  it('should leave probes, docs and (by default) metrics public', async () => {
    for (const path of ['/health/live', '/health/ready', '/health/startup', '/docs-json', '/metrics']) {
      const res = await http().get(path);
      expect([path, res.status]).not.toEqual([path, 401]);
      expect(res.status).toBeLessThan(500);
    }
    const docs = await http().get('/docs/').redirects(1);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
  });

  it('should put the caller id and tenant on the request log line, never the key', async () => {
    await http().get('/caller-probe').set('authorization', bearer(TEST_AUTH.admin)).set('x-request-id', 'auth-log-1');
    const line = logs.forRequest('auth-log-1').find((l) => l.msg === 'request completed');
    expect(line).toMatchObject({ callerId: 'acme-admin', tenant: 'acme', roles: ['admin'] });
    const own = logs.forRequest('auth-log-1').find((l) => l.msg === 'whoami called');
    expect(own).toMatchObject({ callerId: 'acme-admin', tenant: 'acme', roles: ['admin'] });
    expect(JSON.stringify(logs.lines)).not.toContain(TEST_AUTH.admin.key);
  });

  it('should record auth failures as security events readable by admins only', async () => {
    await http().get('/caller-probe').set('authorization', 'Bearer fk_wrong_one').set('x-request-id', 'auth-event-1');
    const viewer = await http().get('/security/events').set('authorization', bearer(TEST_AUTH.viewer));
    expect(viewer.status).toBe(403);
    const items = await eventually(
      async () => {
        const res = await http().get('/security/events?limit=50').set('authorization', bearer(TEST_AUTH.admin));
        expect(res.status).toBe(200);
        const items = res.body.items as { requestId: string }[];
        return items.some((e) => e.requestId === 'auth-event-1') && items;
      },
      { what: 'the auth.invalid event' },
    );
    const ev = items.find((e) => e.requestId === 'auth-event-1');
    expect(ev).toMatchObject({ type: 'auth.invalid', route: '/caller-probe', method: 'GET' });
    expect(JSON.stringify(items)).not.toContain('fk_wrong_one');
  });
});

describe('Authentication with RS256 JWT (e2e)', () => {
  it('should verify RS256 tokens against the configured public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const app = await createTestApp({
      extra,
      env: { JWT_PUBLIC_KEY: await exportSPKI(publicKey), FENNEC_API_KEYS: '' },
    });
    try {
      const token = await new SignJWT({ tenant: 'acme', roles: 'viewer operator' })
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('svc-1')
        .setExpirationTime('1m')
        .sign(privateKey);
      const res = await request(app.getHttpServer()).get('/caller-probe').set('authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body.caller).toEqual({ id: 'svc-1', kind: 'jwt', roles: ['viewer', 'operator'], tenant: 'acme' });
      const hs = await new SignJWT({ tenant: 'acme', roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('x')
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(SECRET));
      expect(
        (await request(app.getHttpServer()).get('/caller-probe').set('authorization', `Bearer ${hs}`)).status,
      ).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('Authentication with a JWKS endpoint (e2e)', () => {
  it('should verify RS256 tokens with keys fetched from JWT_JWKS_URL, by kid', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const stranger = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    let fetches = 0;
    const idp: Server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/jwks.json`;
    const app = await createTestApp({ extra, env: { JWT_JWKS_URL: url, JWT_AUDIENCE: 'fennec' } });
    const sign = (key: typeof privateKey, kid: string) =>
      new SignJWT({ tenant: 'acme', roles: ['viewer'] })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject('idp-user')
        .setAudience('fennec')
        .setExpirationTime('1m')
        .sign(key);
    try {
      const http = () => request(app.getHttpServer()).get('/caller-probe');
      const ok = await http().set('authorization', `Bearer ${await sign(privateKey, 'k1')}`);
      expect(ok.status).toBe(200);
      expect(ok.body.caller).toMatchObject({ id: 'idp-user', kind: 'jwt', tenant: 'acme' });
      expect((await http().set('authorization', `Bearer ${await sign(privateKey, 'k1')}`)).status).toBe(200);
      expect(fetches).toBe(1);
      const forged = await http().set('authorization', `Bearer ${await sign(stranger.privateKey, 'k1')}`);
      expect(forged.status).toBe(401);
      const unknownKid = await http().set('authorization', `Bearer ${await sign(stranger.privateKey, 'k2')}`);
      expect(unknownKid.status).toBe(401);
      expect(unknownKid.body.detail).toContain('key id');
    } finally {
      await app.close();
      await new Promise((r) => idp.close(r));
    }
  });
});

describe('Credentials configuration at boot (e2e)', () => {
  it('should refuse to boot in production without credentials, saying what to set', async () => {
    const envs: Record<string, string>[] = [
      { NODE_ENV: 'production' },
      { NODE_ENV: 'production', FENNEC_API_KEYS: '[]' },
    ];
    for (const env of envs) {
      await expect(createTestApp({ testAuth: false, env })).rejects.toThrow(
        /NODE_ENV.*production needs credentials: set FENNEC_API_KEYS/s,
      );
    }
  });

  it('should refuse to boot on a malformed key entry, naming the entry and not printing hashes', async () => {
    const json = JSON.stringify([
      { id: 'good', hash: `sha256:${'a'.repeat(64)}`, roles: ['admin'], tenant: 'acme' },
      { id: 'broken', hash: 'md5:abc', roles: ['root'], tenant: 'acme' },
    ]);
    const err = await createTestApp({ env: { FENNEC_API_KEYS: json } }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain('FENNEC_API_KEYS entry #1 (id "broken"): "hash" must be');
    expect(message).toContain('"roles" must be a non-empty array');
    expect(message).not.toContain('a'.repeat(64));
  });

  it('should read keys from FENNEC_API_KEYS_FILE', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'fennec-keys-')), 'keys.json');
    writeFileSync(file, apiKeysJson([TEST_KEYS.globex.admin]));
    const app = await createTestApp({ extra, env: { FENNEC_API_KEYS: '', FENNEC_API_KEYS_FILE: file } });
    try {
      const res = await request(app.getHttpServer()).get('/caller-probe').set('x-api-key', TEST_KEYS.globex.admin.key);
      expect(res.body.tenant).toBe('globex');
      expect(
        (await request(app.getHttpServer()).get('/caller-probe').set('x-api-key', TEST_AUTH.admin.key)).status,
      ).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('should make /metrics require credentials when METRICS_PUBLIC=false', async () => {
    const app = await createTestApp({ env: { METRICS_PUBLIC: 'false' } });
    try {
      expect((await request(app.getHttpServer()).get('/metrics')).status).toBe(401);
      expect(
        (await request(app.getHttpServer()).get('/metrics').set('authorization', bearer(TEST_AUTH.viewer))).status,
      ).toBe(200);
    } finally {
      await app.close();
    }
  });
});
