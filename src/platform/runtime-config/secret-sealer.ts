import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** A secret as stored at rest: `{ "$sealed": "v1.<keyId>.<iv>.<tag>.<ciphertext>" }` (base64url parts). */
export interface SealedSecret {
  $sealed: string;
}

/** Where a sealed value belongs. Bound into the ciphertext, so it opens only in that place. */
export interface SealContext {
  service: string;
  field: string;
}

/** A sealed value that cannot be opened: malformed, altered, moved, or sealed with a key not configured. */
export class UnsealError extends Error {
  override readonly name = 'UnsealError';
  constructor(
    message: string,
    /** The key id the value names, when it could be read. */
    readonly keyId?: string,
  ) {
    super(message);
  }
}

/** First 8 hex characters of sha256(key): names a key in sealed values without revealing it. */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Parses a 32-byte key given as 64 hex characters or as base64 / base64url. Throws a message that
 * says what is wrong without repeating the key.
 */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(t)
      ? Buffer.from(t, 'base64')
      : undefined;
  if (!key) throw new Error('must be 64 hex characters or base64 (e.g. `openssl rand -base64 32`)');
  if (key.length !== KEY_BYTES) {
    throw new Error(`must be ${KEY_BYTES} bytes (64 hex characters or 44 base64 characters); got ${key.length} bytes`);
  }
  return key;
}

/** True for a value shaped like a {@link SealedSecret} (an object with one `$sealed` string). */
export function isSealed(value: unknown): value is SealedSecret {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as SealedSecret).$sealed === 'string' &&
    Object.keys(value).length === 1
  );
}

/** The key id a sealed value names, or undefined when it is not a v1 sealed value. */
export function sealedKeyId(sealed: SealedSecret): string | undefined {
  const parts = sealed.$sealed.split('.');
  return parts.length === 5 && parts[0] === FORMAT ? parts[1] : undefined;
}

/**
 * Seals JSON values with AES-256-GCM under the current key, and opens values sealed under the
 * current key or any previous one (rotation: previous keys only decrypt). The service and field
 * names are the additional authenticated data, so a sealed value copied to another field or
 * service fails to open, as does any change to it.
 */
export class SecretSealer {
  /** Id of the key new values are sealed with. */
  readonly keyId: string;
  private readonly current: Buffer;
  private readonly byId = new Map<string, Buffer[]>();

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== KEY_BYTES) throw new Error(`a sealing key must be ${KEY_BYTES} bytes; got ${key.length}`);
      const id = secretKeyId(key);
      const same = this.byId.get(id) ?? [];
      if (!same.some((k) => k.equals(key))) this.byId.set(id, [...same, key]);
    }
    this.current = current;
    this.keyId = secretKeyId(current);
  }

  /** Ids of every key that can open values (the current one first). */
  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  seal(value: unknown, context: SealContext): SealedSecret {
    const plain = JSON.stringify(value) as string | undefined;
    if (plain === undefined) throw new TypeError(`${context.service}.${context.field}: cannot seal ${typeof value}`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [FORMAT, this.keyId, iv, cipher.getAuthTag(), ciphertext].map((p) =>
      typeof p === 'string' ? p : p.toString('base64url'),
    );
    return { $sealed: parts.join('.') };
  }

  /** Opens a value sealed by {@link seal} for the same `context`; throws {@link UnsealError} otherwise. */
  unseal(sealed: SealedSecret, context: SealContext): unknown {
    const parts = sealed.$sealed.split('.');
    const [format, keyId, iv, tag, ciphertext] = parts;
    if (parts.length !== 5 || format !== FORMAT || !/^[0-9a-f]{8}$/.test(keyId)) {
      throw new UnsealError(`not a ${FORMAT} sealed value`);
    }
    if (![iv, tag, ciphertext].every((p) => B64URL.test(p))) throw new UnsealError('malformed sealed value', keyId);
    const keys = this.byId.get(keyId);
    if (!keys) {
      throw new UnsealError(
        `sealed with key ${keyId}, which is not configured (configured: ${this.keyIds.join(', ')})`,
        keyId,
      );
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
      throw new UnsealError('malformed sealed value', keyId);
    }
    for (const key of keys) {
      let plain: string;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(context));
        decipher.setAuthTag(tagBytes);
        plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        continue;
      }
      return JSON.parse(plain) as unknown;
    }
    throw new UnsealError(
      `sealed value fails authentication with key ${keyId}: it was altered, or sealed for another service or field`,
      keyId,
    );
  }
}

/** JSON keeps the pair unambiguous whatever characters the names hold. */
function aad(context: SealContext): Buffer {
  return Buffer.from(JSON.stringify(['fennec.runtime-config', context.service, context.field]), 'utf8');
}
