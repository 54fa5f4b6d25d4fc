import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ApiKeyEntry } from './api-key-entries';
import { authConfig, type AuthConfig } from './auth.config';
import type { Caller } from '../../context/caller';

/** Tenant of the generated development key. */
export const DEV_TENANT = 'default';

export type ApiKeyOutcome = { ok: true; caller: Caller } | { ok: false; reason: 'unknown' | 'expired' };

/** Hashes an API key the way entries store it: SHA-256, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Checks presented API keys against the configured SHA-256 hashes. Every entry is compared with
 * `timingSafeEqual` (no early exit), so response time says nothing about which hash was close.
 * With no credentials configured outside production it generates one admin key and logs it once.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnApplicationBootstrap {
  private readonly logger = new Logger('auth');
  private readonly entries: ApiKeyEntry[];
  private devKey?: string;

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.entries = [...config.apiKeys];
    if (config.devMode) {
      this.devKey = `fk_dev_${randomBytes(24).toString('base64url')}`;
      this.entries.push({
        id: 'dev',
        hash: Buffer.from(hashApiKey(this.devKey), 'hex'),
        roles: ['admin'],
        tenant: DEV_TENANT,
      });
    }
  }

  onApplicationBootstrap(): void {
    if (this.devKey) {
      this.logger.warn(
        `No API keys or JWT configured: generated a development admin key for this run (tenant "${DEV_TENANT}"). ` +
          `Send it as "Authorization: Bearer ${this.devKey}". Configure FENNEC_API_KEYS before production.`,
      );
    }
  }

  get configured(): boolean {
    return this.entries.length > 0;
  }

  authenticate(presented: string, now: Date = new Date()): ApiKeyOutcome {
    const digest = hash('sha256', presented, 'buffer');
    let match: ApiKeyEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.hash) && !match) match = entry;
    }
    if (!match) return { ok: false, reason: 'unknown' };
    if (match.expiresAt && match.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
    const kind = this.devKey && match.id === 'dev' ? 'dev' : 'api-key';
    return { ok: true, caller: { id: match.id, kind, roles: [...match.roles], tenant: match.tenant } };
  }
}
