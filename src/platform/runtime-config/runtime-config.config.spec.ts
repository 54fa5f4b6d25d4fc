import { randomBytes } from 'node:crypto';
import { ConfigValidationError, validateEnvironment } from '../config/env-namespace';
import { runtimeConfigEnv } from './runtime-config.config';

describe('runtimeConfigEnv sealing keys', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const problems = (env: Record<string, string>): string => {
    try {
      validateEnvironment(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigValidationError);
      return (err as Error).message;
    }
    throw new Error('expected the environment to be refused');
  };

  it('should read a hex current key and base64 previous keys', () => {
    const [current, old1, old2] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    process.env.RUNTIME_CONFIG_SECRETS_KEY = current.toString('hex');
    process.env.RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS = `${old1.toString('base64')}, ${old2.toString('base64url')}`;
    expect(runtimeConfigEnv()).toMatchObject({ secretsKey: current, previousSecretsKeys: [old1, old2] });
  });

  it('should leave sealing off when the key is unset or empty', () => {
    process.env.RUNTIME_CONFIG_SECRETS_KEY = '';
    expect(runtimeConfigEnv()).toMatchObject({ secretsKey: undefined, previousSecretsKeys: [] });
  });

  it('should refuse a key of the wrong length, naming the variable but never showing the key', () => {
    const short = randomBytes(16).toString('base64');
    const message = problems({ RUNTIME_CONFIG_SECRETS_KEY: short });
    expect(message).toContain('RUNTIME_CONFIG_SECRETS_KEY (got "an unusable key"): must be 32 bytes');
    expect(message).toContain('got 16 bytes');
    expect(message).not.toContain(short);
  });

  it('should name the bad previous key by position, and refuse previous keys without a current one', () => {
    const good = randomBytes(32).toString('hex');
    const bad = problems({ RUNTIME_CONFIG_SECRETS_KEY: good, RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS: `${good},abc` });
    expect(bad).toContain('RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS');
    expect(bad).toContain('key #2 must be 32 bytes');
    expect(bad).not.toContain(good);
    const orphan = problems({ RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS: good });
    expect(orphan).toContain('RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS (got "key ');
    expect(orphan).toContain('needs RUNTIME_CONFIG_SECRETS_KEY');
  });
});
