import { Transform } from 'class-transformer';

/** Parses "true"/"false"/"1"/"0" (any case); leaves anything else for the validator to reject. */
export const EnvBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return value;
  });

/** Parses a decimal integer; leaves anything else (e.g. "3k") for the validator to reject. */
export const EnvInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value,
  );

/** Splits a comma-separated list, trimming blanks. */
export const EnvList = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  );
