import { IsInt, IsString, Min } from 'class-validator';
import { ConfigValidationError, defineEnvNamespace, validateEnvironment } from './env-namespace';
import { EnvBoolean, EnvInt, EnvList } from './env-transforms';
import { IsArray, IsBoolean } from 'class-validator';

class SampleEnv {
  @EnvInt()
  @IsInt()
  @Min(1)
  SAMPLE_WORKERS: number = 4;

  @IsString()
  SAMPLE_NAME: string = 'fennec';

  @EnvBoolean()
  @IsBoolean()
  SAMPLE_ENABLED: boolean = false;

  @EnvList()
  @IsArray()
  SAMPLE_HOSTS: string[] = [];
}

const sample = defineEnvNamespace('sample', SampleEnv, (env) => ({
  workers: env.SAMPLE_WORKERS,
  name: env.SAMPLE_NAME,
  enabled: env.SAMPLE_ENABLED,
  hosts: env.SAMPLE_HOSTS,
}));

describe('defineEnvNamespace', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('should apply defaults when variables are unset', () => {
    expect(sample()).toEqual({ workers: 4, name: 'fennec', enabled: false, hosts: [] });
  });

  it('should convert set variables to their types', () => {
    process.env.SAMPLE_WORKERS = '8';
    process.env.SAMPLE_ENABLED = 'TRUE';
    process.env.SAMPLE_HOSTS = 'a, b,,c';
    expect(sample()).toMatchObject({ workers: 8, enabled: true, hosts: ['a', 'b', 'c'] });
  });

  it('should list every bad variable with what it expects in one error', () => {
    expect(() => validateEnvironment({ SAMPLE_WORKERS: '0', SAMPLE_ENABLED: 'maybe' })).toThrow(ConfigValidationError);
    try {
      validateEnvironment({ SAMPLE_WORKERS: 'three', SAMPLE_ENABLED: 'maybe' });
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toContain('SAMPLE_WORKERS (got "three")');
      expect(message).toContain('SAMPLE_ENABLED (got "maybe")');
      expect((e as ConfigValidationError).problems.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('should pass a valid environment through unchanged', () => {
    const env = { SAMPLE_WORKERS: '2' };
    expect(validateEnvironment(env)).toBe(env);
  });
});
