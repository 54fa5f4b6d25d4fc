import { instanceToPlain, plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import type { FieldError } from '../errors/fennec-error';
import { flattenValidationErrors } from '../errors/validation-errors';
import { isPlainObject, type PlainObject } from './merge-patch';
import { SECRET_MASK, secretFields } from './secret.decorator';

export type ConfigClass = new () => object;

/** `topK` → `TOP_K`, `rag-search` → `RAG_SEARCH`: how fields and services are named in env vars. */
export const toEnvName = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();

/**
 * One service's runtime-config schema: its class-validator class, whose initialisers are the
 * defaults. Knows the fields, validates candidate values, converts env strings and masks secrets.
 */
export class ConfigSchema {
  readonly fields: string[];
  readonly secrets: Set<string>;
  private readonly defaultsPlain: PlainObject;

  constructor(
    readonly service: string,
    readonly cls: ConfigClass,
  ) {
    const instance = new cls();
    const validated = getMetadataStorage()
      .getTargetValidationMetadatas(cls, '', true, false)
      .map((m) => m.propertyName);
    this.fields = [...new Set([...Object.keys(instance), ...validated])].sort();
    this.secrets = secretFields(cls);
    this.defaultsPlain = instanceToPlain(instance) as PlainObject;
  }

  defaults(): PlainObject {
    return structuredClone(this.defaultsPlain);
  }

  /** Field-level problems of a complete candidate (unknown fields included); empty when valid. */
  validate(values: PlainObject): FieldError[] {
    const instance = plainToInstance(this.cls, values, { exposeDefaultValues: false });
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
    return flattenValidationErrors(errors);
  }

  /** Problems of a partial layer (file or patch): unknown fields only; values are checked once composed. */
  unknownFields(layer: PlainObject): FieldError[] {
    return Object.keys(layer)
      .filter((k) => !this.fields.includes(k))
      .map((field) => ({ field, message: `${this.service} has no setting "${field}"` }));
  }

  /**
   * Converts `{ TOP_K: '8' }` (from FENNEC_<SERVICE>__TOP_K) into `{ topK: 8 }`, typed by the
   * field's default (or declared type). Values that do not convert are left for validation.
   */
  fromEnv(vars: Record<string, string>): { values: PlainObject; unknown: string[] } {
    const values: PlainObject = {};
    const byEnvName = new Map(this.fields.map((f) => [toEnvName(f), f]));
    const unknown: string[] = [];
    for (const [name, raw] of Object.entries(vars)) {
      const field = byEnvName.get(name);
      if (field === undefined) unknown.push(name);
      else values[field] = this.convert(field, raw);
    }
    return { values, unknown };
  }

  /** A copy with every set secret replaced by {@link SECRET_MASK}. */
  mask(values: PlainObject): PlainObject {
    const out = { ...values };
    for (const field of this.secrets) {
      if (out[field] !== undefined && out[field] !== null && out[field] !== '') out[field] = SECRET_MASK;
    }
    return out;
  }

  /** The JSON kind of a field, from its default value or else its declared type. */
  kindOf(field: string): FieldKind {
    const declared = Reflect.getMetadata('design:type', this.cls.prototype as object, field) as unknown;
    return fieldKind(this.defaultsPlain[field] ?? declared);
  }

  private convert(field: string, raw: string): unknown {
    const kind = this.kindOf(field);
    const text = raw.trim();
    switch (kind) {
      case 'number':
        return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text) ? Number(text) : raw;
      case 'boolean':
        return /^(true|1)$/i.test(text) ? true : /^(false|0)$/i.test(text) ? false : raw;
      case 'array':
        if (text.startsWith('[')) return parseJson(text) ?? raw;
        return text === '' ? [] : text.split(',').map((s) => s.trim());
      case 'object': {
        const parsed = parseJson(text);
        return isPlainObject(parsed) ? parsed : raw;
      }
      case 'string':
        return raw;
    }
  }
}

export type FieldKind = 'number' | 'boolean' | 'array' | 'object' | 'string';

/** The kind of a field from its default value, or from its declared type (a constructor). */
function fieldKind(sampleOrType: unknown): FieldKind {
  if (Array.isArray(sampleOrType) || sampleOrType === Array) return 'array';
  if (typeof sampleOrType === 'number' || sampleOrType === Number) return 'number';
  if (typeof sampleOrType === 'boolean' || sampleOrType === Boolean) return 'boolean';
  if ((typeof sampleOrType === 'object' && sampleOrType !== null) || sampleOrType === Object) return 'object';
  return 'string';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
