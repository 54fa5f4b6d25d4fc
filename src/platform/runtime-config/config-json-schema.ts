import { ValidationTypes } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import type { ConfigSchema } from './config-schema';
import type { PlainObject } from './merge-patch';
import { SECRET_MASK } from './secret.decorator';

/** A JSON Schema object (the subset the config API produces; also valid as an OpenAPI 3.0 schema). */
export type JsonSchema = Record<string, unknown>;

/** Marks a field whose value the config API masks (`@Secret()`); clients should send, never expect it back. */
export const SECRET_EXTENSION = 'x-fennec-secret';

/**
 * Custom validators (`ValidateBy`, such as a model-name check) have no JSON Schema meaning: the
 * library would emit a `$ref` to the field's design type (`#/definitions/Array`), so they
 * contribute nothing; the service still enforces them on every write.
 */
const CONVERTERS = { [ValidationTypes.CUSTOM_VALIDATION]: {} };

/**
 * The JSON Schema of a service's runtime settings: types, ranges, patterns and enums from its
 * class-validator decorators (class-validator-jsonschema), each field's default from the class's
 * initialisers, secrets marked `x-fennec-secret` (their default masked), and no other fields
 * allowed. Every field has a default, so none is required in a write.
 */
export function configJsonSchema(schema: ConfigSchema): JsonSchema {
  const derived = targetConstructorToSchema(schema.cls, { additionalConverters: CONVERTERS }) as {
    properties?: Record<string, PlainObject>;
  };
  const defaults = schema.defaults();
  const properties: Record<string, PlainObject> = {};
  for (const field of schema.fields) {
    const property: PlainObject = { ...(derived.properties?.[field] ?? {}) };
    // A field checked by a custom validator only (no type decorator) still has a known kind.
    if (property.type === undefined && property.$ref === undefined) property.type = schema.kindOf(field);
    const value = defaults[field];
    const secret = schema.secrets.has(field);
    if (value !== undefined) property.default = secret && value !== '' && value !== null ? SECRET_MASK : value;
    if (secret) property[SECRET_EXTENSION] = true;
    properties[field] = property;
  }
  return { title: `${schema.service} settings`, type: 'object', properties, additionalProperties: false };
}

/**
 * The body of `PATCH /config/{service}` for one service: a JSON merge patch of its settings, so
 * every field is optional and may be `null` (clears the runtime value). OpenAPI 3.0 dialect.
 */
export function configPatchSchema(schema: ConfigSchema): JsonSchema {
  const full = configJsonSchema(schema) as { properties: Record<string, PlainObject> };
  const properties = Object.fromEntries(
    Object.entries(full.properties).map(([field, property]) => [field, { ...property, nullable: true }]),
  );
  return {
    title: `${schema.service} settings (merge patch)`,
    description: `JSON merge patch of the \`${schema.service}\` settings; \`null\` clears a runtime value.`,
    type: 'object',
    properties,
    additionalProperties: false,
  };
}
