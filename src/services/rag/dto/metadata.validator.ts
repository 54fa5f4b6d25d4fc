import { ValidateBy, type ValidationOptions } from 'class-validator';

const MAX_KEYS = 32;
const KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** A flat object of at most 32 keys (`[A-Za-z0-9_.-]`) with string (≤ 500 chars), finite number or boolean values. */
export function IsMetadata(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isMetadata',
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          return (
            entries.length <= MAX_KEYS &&
            entries.every(
              ([k, v]) =>
                KEY.test(k) &&
                ((typeof v === 'string' && v.length <= 500) ||
                  (typeof v === 'number' && Number.isFinite(v)) ||
                  typeof v === 'boolean'),
            )
          );
        },
        defaultMessage: () =>
          `$property must be an object of at most ${MAX_KEYS} keys ([A-Za-z0-9_.-]) with string, number or boolean values`,
      },
    },
    options,
  );
}
