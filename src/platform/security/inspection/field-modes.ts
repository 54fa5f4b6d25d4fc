import type { InputInspectionOptions } from './input-inspection.decorators';
import type { InspectionMode } from './inspection.config';

function covers(rule: string[], field: string[]): boolean {
  return rule.length <= field.length && rule.every((seg, i) => seg === '*' || seg === field[i]);
}

/** The mode for one field: the longest matching field rule, else the route's mode, else the default. */
export function modeForField(
  field: string,
  options: InputInspectionOptions | undefined,
  fallback: InspectionMode,
): InspectionMode {
  const parts = field.split('.');
  let best: { length: number; mode: InspectionMode } | undefined;
  for (const [path, mode] of Object.entries(options?.fields ?? {})) {
    const rule = path.split('.');
    if (covers(rule, parts) && (!best || rule.length > best.length)) best = { length: rule.length, mode };
  }
  return best?.mode ?? options?.mode ?? fallback;
}
