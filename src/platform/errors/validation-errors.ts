import type { ValidationError } from 'class-validator';
import { RequestValidationError } from './common.errors';
import type { FieldError } from './fennec-error';

/**
 * class-validator constraints that check what type a value is. When one of them fails, the
 * field's other constraints (range, length, pattern…) were checked against a value of the wrong
 * type and only add noise (`maxSentences: "three"` is "not an integer", not also "< 1" and
 * "> 50"), so the type error is reported alone.
 */
const TYPE_CONSTRAINTS: ReadonlySet<string> = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isArray',
  'isObject',
  'isEnum',
  'isDate',
  'nestedValidation',
]);

/** The messages worth reporting for one field: its type errors alone when it has any. */
function messagesOf(constraints: Record<string, string>): string[] {
  const names = Object.keys(constraints);
  const typeErrors = names.filter((n) => TYPE_CONSTRAINTS.has(n));
  return (typeErrors.length > 0 ? typeErrors : names).map((n) => constraints[n]);
}

/** Flattens class-validator's tree into one entry per bad field, with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints ? [{ field, message: messagesOf(e.constraints).join('; ') }] : [];
    return own.concat(flattenValidationErrors(e.children ?? [], field));
  });
}

/** `ValidationPipe({ exceptionFactory })`: a 400 problem with one `errors[]` entry per bad field. */
export function validationExceptionFactory(errors: ValidationError[]): RequestValidationError {
  const fieldErrors = flattenValidationErrors(errors);
  const fields = [...new Set(fieldErrors.map((f) => f.field))];
  return new RequestValidationError(`Request validation failed for: ${fields.join(', ')}`, { fieldErrors });
}
