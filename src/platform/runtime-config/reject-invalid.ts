import { RequestValidationError } from '../errors/common.errors';
import type { FieldError } from '../errors/fennec-error';
import type { ConfigSection } from './config-section';

/** Throws VALIDATION.FAILED naming each invalid field of `s`, if there is any. */
export function rejectInvalid(s: ConfigSection, errors: FieldError[]): void {
  if (errors.length === 0) return;
  const fields = [...new Set(errors.map((e) => e.field))].join(', ');
  throw new RequestValidationError(`Invalid ${s.name} configuration: ${fields}`, { fieldErrors: errors });
}
