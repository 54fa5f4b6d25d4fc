import { SetMetadata } from '@nestjs/common';
import type { InspectionMode } from './inspection.config';

export const INPUT_INSPECTION_KEY = 'fennec:input-inspection';

/** Per-route inspection: a default `mode` and per-field modes. */
export interface InputInspectionOptions {
  mode?: InspectionMode;
  /**
   * Dotted paths under `body`, `query` or `params`; `*` matches one segment and a path also
   * covers everything below it. The longest matching path wins. E.g.
   * `{ 'body.prompt': 'flag', 'body.messages.*.content': 'flag' }`.
   */
  fields?: Record<string, InspectionMode>;
}

/** Sets how input threats are handled on a route or controller (see {@link InputInspectionOptions}). */
export const InputInspection = (options: InputInspectionOptions) => SetMetadata(INPUT_INSPECTION_KEY, options);

/**
 * Fields that legitimately carry code, markup or prompts (an LLM prompt, a code snippet): threats
 * there are recorded as `input.flagged` events but the request goes on. Without fields the whole
 * route is flag-only.
 */
export const FlagOnlyInput = (...fields: string[]) =>
  InputInspection(
    fields.length === 0 ? { mode: 'flag' } : { fields: Object.fromEntries(fields.map((f) => [f, 'flag' as const])) },
  );

/** No inspection on this route. */
export const SkipInputInspection = () => InputInspection({ mode: 'off' });
