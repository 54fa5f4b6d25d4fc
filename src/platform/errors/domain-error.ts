import type { ErrorKind } from './error-kind';
import { FennecError } from './fennec-error';

/** `INVENTORY.OUT_OF_RANGE` → `InventoryOutOfRangeError`: the class name logs and stack traces show. */
const classNameOf = (code: string) =>
  code
    .toLowerCase()
    .split(/[._-]+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('') + 'Error';

/**
 * A {@link FennecError} class in one line, for domain errors that need nothing but a code and a
 * kind: `export const StockOutOfRangeError = domainError('INVENTORY.OUT_OF_RANGE', 'conflict');`
 * then `throw new StockOutOfRangeError('sku-1 would hold -2')`. The same as the subclass written
 * out (same `instanceof`, problem mapping and options); its `name` is derived from the code.
 */
export function domainError<C extends string, K extends ErrorKind>(code: C, kind: K) {
  const cls = class extends FennecError {
    readonly code: C = code;
    readonly kind: K = kind;
  };
  Object.defineProperty(cls, 'name', { value: classNameOf(code) });
  return cls;
}
