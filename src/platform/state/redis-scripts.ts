/**
 * Lua scripts run atomically by Redis, so concurrent instances never interleave the steps of a
 * read-modify-write.
 */
/** Adds 1 to the fixed-window counter KEYS[1] (window ARGV[1] ms), leaving `count` and `ttl` set. */
const COUNT_IN_WINDOW = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end`;

export const REDIS_SCRIPTS = {
  /** KEYS[1] counter; ARGV[1] window ms. Returns {count, ttlMs}. */
  fennecIncrementWindow: {
    numberOfKeys: 1,
    lua: `${COUNT_IN_WINDOW}
return {count, ttl}`,
  },
  /**
   * KEYS[1] counter, KEYS[2] block marker; ARGV[1] window ms, ARGV[2] limit, ARGV[3] block ms.
   * Returns {count, ttlMs, blockedMs} (see StateStore.hitRateLimit).
   */
  fennecHitRateLimit: {
    numberOfKeys: 2,
    lua: `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return {0, 0, blocked}
end${COUNT_IN_WINDOW}
if count > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {count, ttl, tonumber(ARGV[3])}
end
return {count, ttl, 0}`,
  },
  /** KEYS[1] hash {val, ver}; ARGV[1] expected version; ARGV[2] value. Returns {ok, version}. */
  fennecCompareAndSet: {
    numberOfKeys: 1,
    lua: `
local current = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
if current ~= tonumber(ARGV[1]) then
  return {0, current}
end
redis.call('HSET', KEYS[1], 'val', ARGV[2], 'ver', current + 1)
return {1, current + 1}`,
  },
  /** KEYS[1] hash {val, ver}; ARGV[1] version; ARGV[2] value. Returns {ok, version} (see StateStore.seedVersioned). */
  fennecSeedVersioned: {
    numberOfKeys: 1,
    lua: `
local current = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
if current >= tonumber(ARGV[1]) then
  return {0, current}
end
redis.call('HSET', KEYS[1], 'val', ARGV[2], 'ver', ARGV[1])
return {1, tonumber(ARGV[1])}`,
  },
  /**
   * KEYS[1] the data epoch marker; ARGV[1] a fresh epoch. Returns the epoch stored, creating it
   * from ARGV[1] when missing (a server that lost its data lost the marker too).
   */
  fennecEpoch: {
    numberOfKeys: 1,
    lua: `
local current = redis.call('GET', KEYS[1])
if current then
  return current
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`,
  },
  /** KEYS[1] hash {val, ver}; ARGV[1] version; ARGV[2] expected value; ARGV[3] value. Returns 1 if replaced. */
  fennecRewriteVersioned: {
    numberOfKeys: 1,
    lua: `
local current = redis.call('HMGET', KEYS[1], 'ver', 'val')
if current[1] ~= ARGV[1] or current[2] ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'val', ARGV[3])
return 1`,
  },
  /**
   * KEYS[1] list; ARGV[1] expected entry; ARGV[2] value. Returns 1 if the newest equal entry was
   * replaced. A scan rather than LPOS (Redis ≥ 6.0.6): the lists it serves are short.
   */
  fennecReplaceInList: {
    numberOfKeys: 1,
    lua: `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i, entry in ipairs(items) do
  if entry == ARGV[1] then
    redis.call('LSET', KEYS[1], i - 1, ARGV[2])
    return 1
  end
end
return 0`,
  },
  /** KEYS[1] list; ARGV[1] value; ARGV[2] max length. */
  fennecPushBounded: {
    numberOfKeys: 1,
    lua: `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return 1`,
  },
} as const;

/** Escapes glob characters so a literal prefix can be used in SCAN MATCH. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
