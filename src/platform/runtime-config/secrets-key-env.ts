import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { parseSecretKey, secretKeyId } from './secret-sealer';

/**
 * Sealing keys parsed from the environment. Boot errors show them through `toJSON`, which names
 * each key by its id only, so a key never reaches a log or an error message.
 */
export class SecretsKeys {
  constructor(
    readonly keys: Buffer[],
    readonly problems: string[],
  ) {}

  toJSON(): string {
    return this.problems.length > 0 ? 'an unusable key' : `key ${this.keys.map(secretKeyId).join(', ')}`;
  }
}

/** Parses one key (`list: false`) or a comma-separated list of keys into {@link SecretsKeys}. */
export const ParseSecretsKeys = (list: boolean) =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    const texts = list ? value.split(',').filter((t) => t.trim() !== '') : [value];
    const keys: Buffer[] = [];
    const problems: string[] = [];
    texts.forEach((text, i) => {
      try {
        keys.push(parseSecretKey(text));
      } catch (err) {
        problems.push(list ? `key #${i + 1} ${(err as Error).message}` : (err as Error).message);
      }
    });
    return new SecretsKeys(keys, problems);
  });

/** Valid when every key parsed; the message says what is wrong without repeating any key. */
export const ValidSecretsKeys = () =>
  ValidateBy({
    name: 'validSecretsKeys',
    validator: {
      validate: (v: unknown) => v instanceof SecretsKeys && v.problems.length === 0,
      defaultMessage: (args) =>
        args?.value instanceof SecretsKeys
          ? args.value.problems.join('; ')
          : 'must be 64 hex characters or base64 (e.g. `openssl rand -base64 32`)',
    },
  });

/** Previous keys only open values; without a current key nothing would be sealed again. */
export const NeedsCurrentKey = () =>
  ValidateBy({
    name: 'needsCurrentKey',
    validator: {
      validate: (_v: unknown, args) =>
        (args?.object as { RUNTIME_CONFIG_SECRETS_KEY?: unknown }).RUNTIME_CONFIG_SECRETS_KEY !== undefined,
      defaultMessage: () =>
        'needs RUNTIME_CONFIG_SECRETS_KEY (previous keys only open values sealed before a rotation)',
    },
  });
