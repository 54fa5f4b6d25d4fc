import { IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateBy } from 'class-validator';
import { configJsonSchema, configPatchSchema, SECRET_EXTENSION } from './config-json-schema';
import { ConfigSchema } from './config-schema';
import { Secret, SECRET_MASK } from './secret.decorator';

class ShopSettings {
  @IsInt()
  @Min(1)
  @Max(50)
  pageSize: number = 10;

  @IsIn(['eur', 'usd'])
  currency: string = 'eur';

  @Secret()
  @IsString()
  token: string = 'default-token';

  @Secret()
  @IsOptional()
  @IsString()
  webhookKey?: string;

  @ValidateBy({ name: 'isTagMap', validator: { validate: () => true } })
  tags: Record<string, string> = {};
}

describe(configJsonSchema.name, () => {
  const schema = configJsonSchema(new ConfigSchema('shop', ShopSettings)) as {
    properties: Record<string, Record<string, unknown>>;
    additionalProperties: boolean;
    required?: string[];
  };

  it('should describe types, ranges and enums from the class-validator decorators', () => {
    expect(schema.properties.pageSize).toMatchObject({ type: 'integer', minimum: 1, maximum: 50 });
    expect(schema.properties.currency).toMatchObject({ enum: ['eur', 'usd'] });
    expect(schema.properties.token).toMatchObject({ type: 'string' });
  });

  it('should give each default from the initialisers, masking a secret one', () => {
    expect(schema.properties.pageSize.default).toBe(10);
    expect(schema.properties.currency.default).toBe('eur');
    expect(schema.properties.token.default).toBe(SECRET_MASK);
    expect(schema.properties.webhookKey).not.toHaveProperty('default');
  });

  it('should mark secrets, and only them', () => {
    const secret = Object.keys(schema.properties).filter((f) => schema.properties[f][SECRET_EXTENSION] === true);
    expect(secret.sort()).toEqual(['token', 'webhookKey']);
  });

  it('should type a field checked by a custom validator only from its default, without a dangling $ref', () => {
    expect(schema.properties.tags).toEqual({ type: 'object', default: {} });
    expect(JSON.stringify(schema)).not.toContain('$ref');
  });

  it('should allow no other field and require none (every field has a default)', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toBeUndefined();
    expect(Object.keys(schema.properties).sort()).toEqual(['currency', 'pageSize', 'tags', 'token', 'webhookKey']);
  });
});

describe(configPatchSchema.name, () => {
  it('should make every field nullable (null clears a runtime value) and keep its constraints', () => {
    const patch = configPatchSchema(new ConfigSchema('shop', ShopSettings)) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(patch.properties.pageSize).toMatchObject({ type: 'integer', minimum: 1, maximum: 50, nullable: true });
    expect(Object.values(patch.properties).every((p) => p.nullable === true)).toBe(true);
  });
});
