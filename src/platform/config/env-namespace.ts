import { registerAs } from '@nestjs/config';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

type EnvClass<T extends object> = new () => T;

/** Every env schema declared with {@link defineEnvNamespace}; validated together at boot. */
const schemas = new Set<EnvClass<object>>();

/** Thrown at boot when one or more environment variables are missing or malformed. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const wants = Object.values(e.constraints ?? {}).join('; ');
    const shown = e.value === undefined ? 'unset' : JSON.stringify(e.value);
    return `${e.property} (got ${shown}): ${wants}`;
  });
}

function parse<T extends object>(schema: EnvClass<T>, env: Record<string, unknown>): { value: T; problems: string[] } {
  const value = plainToInstance(schema, env, { enableImplicitConversion: false, exposeDefaultValues: true });
  const problems = describe(validateSync(value, { skipMissingProperties: false, forbidUnknownValues: false }));
  return { value, problems };
}

/**
 * Declares one typed configuration namespace read from the environment.
 *
 * `schema` is a class-validator class whose property names are the variable names and whose
 * initialisers are the defaults; use `@Type(() => Number)` / `@Transform` to convert strings.
 * `map` turns the validated variables into the shape the application reads with
 * `ConfigService.get(ns.KEY, { infer: true })` or `@Inject(ns.KEY)`.
 */
export function defineEnvNamespace<S extends object, C extends object>(
  name: string,
  schema: EnvClass<S>,
  map: (env: S) => C,
) {
  schemas.add(schema);
  return registerAs(name, (): C => {
    const { value, problems } = parse(schema, process.env);
    if (problems.length > 0) throw new ConfigValidationError(problems);
    return map(value);
  });
}

/**
 * `ConfigModule.forRoot({ validate })` hook: validates every declared schema against the merged
 * environment and throws one error listing each bad variable and what it expects.
 */
export function validateEnvironment(env: Record<string, unknown>): Record<string, unknown> {
  const problems = [...schemas].flatMap((schema) => parse(schema, env).problems);
  if (problems.length > 0) throw new ConfigValidationError([...new Set(problems)]);
  return env;
}
