import { randomBytes } from 'node:crypto';
import { isSealed, parseSecretKey, SecretSealer, secretKeyId, UnsealError, type SealedSecret } from './secret-sealer';

const API_KEY = { service: 'widget', field: 'apiKey' };

/** Flips one character of a base64url part (index 2 iv, 3 tag, 4 ciphertext). */
function tamper(sealed: SealedSecret, part: number): SealedSecret {
  const parts = sealed.$sealed.split('.');
  const p = parts[part];
  parts[part] = (p[0] === 'A' ? 'B' : 'A') + p.slice(1);
  return { $sealed: parts.join('.') };
}

describe(SecretSealer.name, () => {
  const key = randomBytes(32);
  const sealer = new SecretSealer(key);

  it('should round-trip strings, numbers, booleans, arrays and objects', () => {
    for (const value of ['s3cr3t', '', 42, 0.5, true, ['a', 1], { user: 'u', token: 't', nested: { n: [1] } }]) {
      const sealed = sealer.seal(value, API_KEY);
      expect(isSealed(sealed)).toBe(true);
      expect(sealer.unseal(sealed, API_KEY)).toEqual(value);
    }
  });

  it('should produce a JSON-safe v1 marker naming the key, never containing the value, fresh each time', () => {
    const a = sealer.seal('s3cr3t', API_KEY);
    const b = sealer.seal('s3cr3t', API_KEY);
    expect(a.$sealed).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(a.$sealed.split('.')[1]).toBe(secretKeyId(key));
    expect(sealer.keyId).toBe(secretKeyId(key));
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    expect(a.$sealed).not.toContain('s3cr3t');
    expect(a.$sealed).not.toBe(b.$sealed);
  });

  it('should refuse a value whose iv, tag or ciphertext was altered', () => {
    const sealed = sealer.seal({ token: 'abc' }, API_KEY);
    for (const part of [2, 3, 4]) {
      expect(() => sealer.unseal(tamper(sealed, part), API_KEY)).toThrow(/altered/);
    }
    expect(() => sealer.unseal({ $sealed: 'v1.zz' }, API_KEY)).toThrow(UnsealError);
    expect(() => sealer.unseal({ $sealed: sealed.$sealed.replace(/^v1/, 'v9') }, API_KEY)).toThrow(/not a v1/);
  });

  it('should refuse a value moved to another field or service', () => {
    const sealed = sealer.seal('s3cr3t', API_KEY);
    expect(() => sealer.unseal(sealed, { service: 'widget', field: 'greeting' })).toThrow(/another service or field/);
    expect(() => sealer.unseal(sealed, { service: 'gadget', field: 'apiKey' })).toThrow(/another service or field/);
  });

  it('should name an unknown key id and the configured ones', () => {
    const other = new SecretSealer(randomBytes(32));
    const sealed = other.seal('s3cr3t', API_KEY);
    expect(() => sealer.unseal(sealed, API_KEY)).toThrow(
      new UnsealError(`sealed with key ${other.keyId}, which is not configured (configured: ${sealer.keyId})`),
    );
    try {
      sealer.unseal(sealed, API_KEY);
    } catch (err) {
      expect((err as UnsealError).keyId).toBe(other.keyId);
    }
  });

  it('should open values sealed with a previous key and seal new ones with the current key', () => {
    const old = new SecretSealer(key);
    const sealedBefore = old.seal('s3cr3t', API_KEY);
    const rotated = new SecretSealer(randomBytes(32), [key]);
    expect(rotated.keyId).not.toBe(old.keyId);
    expect(rotated.keyIds).toEqual([rotated.keyId, old.keyId]);
    expect(rotated.unseal(sealedBefore, API_KEY)).toBe('s3cr3t');
    const sealedAfter = rotated.seal('s3cr3t', API_KEY);
    expect(sealedAfter.$sealed.split('.')[1]).toBe(rotated.keyId);
    expect(() => old.unseal(sealedAfter, API_KEY)).toThrow(/not configured/);
  });

  it('should refuse keys that are not 32 bytes', () => {
    expect(() => new SecretSealer(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => new SecretSealer(key, [randomBytes(31)])).toThrow(/32 bytes/);
  });
});

describe('parseSecretKey', () => {
  const key = randomBytes(32);

  it('should read 64 hex characters, base64 and base64url', () => {
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretKey(key.toString('hex').toUpperCase())).toEqual(key);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(` ${key.toString('base64url')} `)).toEqual(key);
  });

  it('should say what is wrong without repeating the key', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseSecretKey(short)).toThrow(
      'must be 32 bytes (64 hex characters or 44 base64 characters); got 16 bytes',
    );
    try {
      parseSecretKey(short);
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
    expect(() => parseSecretKey('not a key!')).toThrow(/64 hex characters or base64/);
  });
});

describe('isSealed', () => {
  it('should recognise only an object with a single $sealed string', () => {
    expect(isSealed({ $sealed: 'v1.x' })).toBe(true);
    expect(isSealed({ $sealed: 'v1.x', other: 1 })).toBe(false);
    expect(isSealed({ $sealed: 3 })).toBe(false);
    expect(isSealed('v1.x')).toBe(false);
    expect(isSealed(null)).toBe(false);
    expect(isSealed([{ $sealed: 'v1.x' }])).toBe(false);
  });
});
