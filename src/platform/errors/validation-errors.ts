import type { ValidationError } from 'class-validator';
import { RequestValidationError } from './common.errors';
import type { FieldError } from './fennec-error';

/** Flattens class-validator's tree into one entry per bad field, with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints ? [{ field, message: Object.values(e.constraints).join('; ') }] : [];
    return own.concat(flattenValidationErrors(e.children ?? [], field));
  });
}

/** `ValidationPipe({ exceptionFactory })`: a 400 problem with one `errors[]` entry per bad field. */
export function validationExceptionFactory(errors: ValidationError[]): RequestValidationError {
  const fieldErrors = flattenValidationErrors(errors);
  const fields = [...new Set(fieldErrors.map((f) => f.field))];
  return new RequestValidationError(`Request validation failed for: ${fields.join(', ')}`, { fieldErrors });
}
