import { detectThreat, detectThreatInKey, type ThreatFamily } from './threat-detectors';

/** One suspicious value (or key) and where it was. */
export interface InputFinding {
  /** Dotted path, e.g. `body.messages.2.content`, `query.q`, `params.id`. */
  field: string;
  family: ThreatFamily;
}

const MAX_DEPTH = 32;
const MAX_NODES = 10_000;

/**
 * Walks request input and reports each field whose value (or key) matches a threat signature.
 * Bounded in depth and in the number of values visited, so a huge body cannot buy CPU time.
 */
export function inspectInput(sources: Record<'body' | 'query' | 'params', unknown>): InputFinding[] {
  const findings: InputFinding[] = [];
  let budget = MAX_NODES;
  const visit = (value: unknown, path: string, depth: number): void => {
    if (budget-- <= 0 || depth > MAX_DEPTH) return;
    if (typeof value === 'string') {
      const family = detectThreat(value);
      if (family) findings.push({ field: path, family });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}.${i}`, depth + 1));
      return;
    }
    for (const key of Object.keys(value)) {
      const field = `${path}.${key}`;
      const family = detectThreatInKey(key);
      if (family) findings.push({ field, family });
      visit((value as Record<string, unknown>)[key], field, depth + 1);
    }
  };
  for (const [name, value] of Object.entries(sources)) visit(value, name, 0);
  return findings;
}
