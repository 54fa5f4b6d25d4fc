import 'reflect-metadata';

const SECRET_FIELDS = Symbol('fennec:secret-fields');

/** The placeholder shown instead of a secret value. */
export const SECRET_MASK = '******';

/**
 * Marks a runtime-config field as secret: the config API and history never return its value in
 * clear (it is replaced with {@link SECRET_MASK}), and change logs list the field name only. With
 * RUNTIME_CONFIG_SECRETS_KEY set its stored value (file or Redis, history included) is sealed
 * with AES-256-GCM (see `SealingConfigPersistence`); the service always reads it in clear.
 */
export function Secret(): PropertyDecorator {
  return (target, property) => {
    const own: Set<string> =
      Reflect.getOwnMetadata(SECRET_FIELDS, target) ??
      new Set(secretFields(target.constructor as abstract new () => unknown));
    own.add(String(property));
    Reflect.defineMetadata(SECRET_FIELDS, own, target);
  };
}

/** Names of the fields marked {@link Secret} on a config class (inherited ones included). */
export function secretFields(cls: abstract new (...args: never[]) => unknown): Set<string> {
  return new Set<string>(Reflect.getMetadata(SECRET_FIELDS, cls.prototype as object) ?? []);
}
