import { domainError } from './domain-error';
import { FennecError } from './fennec-error';
import { problemFor } from './problem-for';

describe(domainError.name, () => {
  const StockOutOfRangeError = domainError('INVENTORY.OUT_OF_RANGE', 'conflict');

  it('should make FennecErrors with the given code and kind, named after the code', () => {
    const err = new StockOutOfRangeError('sku-1 would hold -2', {
      fieldErrors: [{ field: 'delta', message: 'too low' }],
    });
    expect(err).toBeInstanceOf(FennecError);
    expect(err).toBeInstanceOf(StockOutOfRangeError);
    expect(err).toMatchObject({ code: 'INVENTORY.OUT_OF_RANGE', kind: 'conflict', message: 'sku-1 would hold -2' });
    expect(err.name).toBe('InventoryOutOfRangeError');
    expect(err.fieldErrors).toEqual([{ field: 'delta', message: 'too low' }]);
  });

  it('should map to the problem of its kind', () => {
    const problem = problemFor(new StockOutOfRangeError('sku-1 would hold -2'), {
      instance: '/v1/inventory/sku-1',
      requestId: 'r1',
    });
    expect(problem).toMatchObject({ status: 409, code: 'INVENTORY.OUT_OF_RANGE', detail: 'sku-1 would hold -2' });
  });
});
