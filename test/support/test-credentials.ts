import { createHash } from 'node:crypto';
import type { Role } from '../../src/platform/context';

export const TEST_TENANTS = ['acme', 'globex'] as const;
export type TestTenant = (typeof TEST_TENANTS)[number];

export interface TestKey {
  id: string;
  /** The clear key to send (`Authorization: Bearer <key>` or `x-api-key`). */
  key: string;
  role: Role;
  tenant: TestTenant;
}

const ROLES: Role[] = ['admin', 'operator', 'viewer'];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** One key per role in each of two tenants; ids look like `acme-admin`. */
export const TEST_KEYS: Record<TestTenant, Record<Role, TestKey>> = Object.fromEntries(
  TEST_TENANTS.map((tenant) => [
    tenant,
    Object.fromEntries(
      ROLES.map((role) => [
        role,
        { id: `${tenant}-${role}`, key: `fk_test_${tenant}_${role}_0123456789abcdef`, role, tenant },
      ]),
    ),
  ]),
) as Record<TestTenant, Record<Role, TestKey>>;

/** The default tenant's keys: `TEST_AUTH.admin.key` etc. */
export const TEST_AUTH = TEST_KEYS.acme;

/** `FENNEC_API_KEYS` JSON for the given keys (default: all test keys). */
export function apiKeysJson(keys: TestKey[] = TEST_TENANTS.flatMap((t) => Object.values(TEST_KEYS[t]))): string {
  return JSON.stringify(
    keys.map((k) => ({ id: k.id, hash: `sha256:${sha256(k.key)}`, roles: [k.role], tenant: k.tenant })),
  );
}

/** Env vars configuring every test key. */
export function testAuthEnv(): Record<string, string> {
  return { FENNEC_API_KEYS: apiKeysJson() };
}

/** `Authorization` header value for a key. */
export const bearer = (k: TestKey) => `Bearer ${k.key}`;
