/**
 * Parses `key=value` pairs separated by commas (`alloy=en-us,echo=en-gb`). Throws naming a bad
 * entry, so a typo fails boot instead of silently dropping a mapping.
 */
export function parsePairs(value: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([^=\s]+)$/.exec(entry);
    if (!m) throw new Error(`${name} entry "${entry}" must be key=value`);
    if (m[1] in out) throw new Error(`${name} names ${m[1]} twice`);
    out[m[1]] = m[2];
  }
  return out;
}

/** The problem with a `key=value` list, or undefined when it parses. */
export function pairsProblem(value: unknown, name: string): string | undefined {
  if (typeof value !== 'string') return `${name} must be a string`;
  try {
    parsePairs(value, name);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
