import { IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, Min } from 'class-validator';
import { ConfigSchema, toEnvName } from './config-schema';
import { Secret } from './secret.decorator';

class SampleConfig {
  @IsInt()
  @Min(1)
  topK: number = 4;

  @IsNumber()
  temperature: number = 0.5;

  @IsBoolean()
  rerank: boolean = false;

  @IsArray()
  @IsString({ each: true })
  models: string[] = ['a'];

  @IsObject()
  weights: Record<string, number> = {};

  @Secret()
  @IsOptional()
  @IsString()
  token?: string;
}

describe(ConfigSchema.name, () => {
  const schema = new ConfigSchema('rag-search', SampleConfig);

  it('should know every field, including optional ones without a default', () => {
    expect(schema.fields).toEqual(['models', 'rerank', 'temperature', 'token', 'topK', 'weights']);
    expect(schema.defaults()).toEqual({ topK: 4, temperature: 0.5, rerank: false, models: ['a'], weights: {} });
  });

  it('should name env vars in upper snake case', () => {
    expect(toEnvName('topK')).toBe('TOP_K');
    expect(toEnvName('rag-search')).toBe('RAG_SEARCH');
  });

  it('should convert env strings to each field type and report unknown names', () => {
    const { values, unknown } = schema.fromEnv({
      TOP_K: '8',
      TEMPERATURE: '0.25',
      RERANK: 'TRUE',
      MODELS: 'x, y',
      WEIGHTS: '{"a":1}',
      TOKEN: 'abc',
      TOPK: '1',
    });
    expect(values).toEqual({
      topK: 8,
      temperature: 0.25,
      rerank: true,
      models: ['x', 'y'],
      weights: { a: 1 },
      token: 'abc',
    });
    expect(unknown).toEqual(['TOPK']);
  });

  it('should leave unconvertible values for validation to name', () => {
    const { values } = schema.fromEnv({ TOP_K: '3k', RERANK: 'maybe' });
    const errors = schema.validate({ ...schema.defaults(), ...values });
    expect(errors.map((e) => e.field).sort()).toEqual(['rerank', 'topK']);
  });

  it('should reject unknown fields and mask secrets', () => {
    expect(schema.validate({ ...schema.defaults(), extra: 1 })).toEqual([
      { field: 'extra', message: 'property extra should not exist' },
    ]);
    expect(schema.mask({ topK: 1, token: 'abc' })).toEqual({ topK: 1, token: '******' });
    expect(schema.mask({ topK: 1 })).toEqual({ topK: 1 });
  });
});
