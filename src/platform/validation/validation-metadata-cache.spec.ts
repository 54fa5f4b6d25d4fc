import 'reflect-metadata';
import { IsInt, IsOptional, IsString, Max, MetadataStorage, Min, validate, ValidateNested } from 'class-validator';
import { plainToInstance, Type } from 'class-transformer';
import { installValidationMetadataCache } from './validation-metadata-cache';

/**
 * The cache wraps a fresh MetadataStorage where it can (pure lookups), and the global one for the
 * end-to-end checks: validate() must give exactly the answers it gives without the cache.
 */
describe('installValidationMetadataCache', () => {
  class Base {
    @IsString()
    name!: string;
  }
  class Child extends Base {
    @IsInt()
    @Min(1)
    @Max(10, { groups: ['strict'] })
    count!: number;
  }
  class Item {
    @IsString()
    label!: string;
  }
  class Order {
    @ValidateNested({ each: true })
    @Type(() => Item)
    items!: Item[];

    @IsOptional()
    @IsString()
    note?: string;
  }

  beforeAll(() => installValidationMetadataCache());

  it('answers validate() as before: inherited rules, groups, nested objects, whitelisting', async () => {
    const child = (v: object) => plainToInstance(Child, v);
    expect(await validate(child({ name: 'a', count: 5 }))).toEqual([]);
    // Inherited rule (Base.name) still applies to Child.
    expect((await validate(child({ name: 3, count: 5 }))).map((e) => e.property)).toEqual(['name']);
    // Group rules: without groups every rule applies; with groups only theirs. The cache keys
    // on the groups, so asking in turn must not mix the answers up.
    const props = async (groups?: string[]) =>
      (await validate(child({ name: 'a', count: 50 }), groups ? { groups } : {})).map((e) => e.property);
    expect(await props()).toEqual(['count']);
    expect(await props(['other'])).toEqual([]);
    expect(await props(['strict'])).toEqual(['count']);
    expect(await props(['other'])).toEqual([]);
    const bad = plainToInstance(Order, { items: [{ label: 'x' }, { label: 2 }] });
    const errors = await validate(bad);
    expect(errors[0].property).toBe('items');
    expect(errors[0].children?.[0].property).toBe('1');
    const extra = plainToInstance(Child, { name: 'a', count: 2, evil: 1 });
    const refused = await validate(extra, { whitelist: true, forbidNonWhitelisted: true });
    expect(refused.map((e) => e.property)).toEqual(['evil']);
  });

  it('returns the same rules as the uncached lookup, once per class and options', () => {
    const storage = new MetadataStorage();
    const lookup = jest.fn(storage.getTargetValidationMetadatas.bind(storage));
    storage.getTargetValidationMetadatas = lookup;
    class Target {}
    storage.addValidationMetadata({ target: Target, propertyName: 'a', type: 'customValidation' } as never);
    installValidationMetadataCache(storage);
    const first = storage.getTargetValidationMetadatas(Target, '', false, false);
    expect(first.map((m) => m.propertyName)).toEqual(['a']);
    expect(storage.getTargetValidationMetadatas(Target, '', false, false)).toBe(first);
    expect(lookup).toHaveBeenCalledTimes(1);
    // Other options are another entry.
    storage.getTargetValidationMetadatas(Target, '', false, false, ['g']);
    expect(lookup).toHaveBeenCalledTimes(2);
    // Grouping is cached for the cache's own arrays only.
    const grouped = storage.groupByPropertyName(first);
    expect(storage.groupByPropertyName(first)).toBe(grouped);
    const own = [...first];
    expect(storage.groupByPropertyName(own)).not.toBe(storage.groupByPropertyName(own));
  });

  it('forgets everything when a rule is added later, so late decorators are not missed', () => {
    const storage = new MetadataStorage();
    class Target {}
    installValidationMetadataCache(storage);
    installValidationMetadataCache(storage); // idempotent: one wrapper, not two
    expect(storage.getTargetValidationMetadatas(Target, '', false, false)).toEqual([]);
    storage.addValidationMetadata({ target: Target, propertyName: 'late', type: 'customValidation' } as never);
    expect(storage.getTargetValidationMetadatas(Target, '', false, false).map((m) => m.propertyName)).toEqual(['late']);
  });
});
