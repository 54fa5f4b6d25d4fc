import { createHash } from 'node:crypto';

/** Buckets per flag: 10 000, so rollouts can be set to 0.01 %. */
export const FLAG_BUCKETS = 10_000;

/**
 * The caller's stable bucket (0..9999) for a flag: the same flag, tenant and caller always land
 * in the same bucket, on every instance, and different flags bucket the same caller independently.
 */
export function flagBucket(flag: string, tenant: string, subject: string): number {
  const digest = createHash('sha256').update(`${flag}\u0000${tenant}\u0000${subject}`).digest();
  return digest.readUInt32BE(0) % FLAG_BUCKETS;
}
