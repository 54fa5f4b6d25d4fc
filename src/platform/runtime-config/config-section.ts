import type { ManagedLifecycle } from '../registry/managed-service.types';
import { INITIAL_RECORD, type ConfigRecord } from './config-record';
import type { ConfigSchema } from './config-schema';
import { mergePatch, type PlainObject } from './merge-patch';

export type ConfigSource = 'default' | 'file' | 'env' | 'runtime';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * One service's configuration in this process: the four layers (defaults < file < env <
 * runtime) and the effective values composed from them with merge-patch semantics, so an
 * object-valued field (such as the flag map) merges across layers instead of being replaced.
 */
export class ConfigSection {
  file: PlainObject = {};
  env: PlainObject = {};
  record: ConfigRecord = INITIAL_RECORD;
  /** Deep-frozen; replaced (never mutated) on every change, so readers may keep references. */
  effective: PlainObject;
  /** Serialises changes so hooks see them in order. */
  queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly schema: ConfigSchema,
    readonly instance: ManagedLifecycle | undefined,
  ) {
    this.effective = this.compose();
  }

  get name(): string {
    return this.schema.service;
  }

  compose(layers: { file?: PlainObject; env?: PlainObject; overrides?: PlainObject } = {}): PlainObject {
    const stack = [layers.file ?? this.file, layers.env ?? this.env, layers.overrides ?? this.record.overrides];
    return deepFreeze(
      stack.reduce<PlainObject>((acc, layer) => mergePatch(acc, layer) as PlainObject, this.schema.defaults()),
    );
  }

  /** Which layer each top-level field's value comes from (the highest that sets it). */
  sources(): Record<string, ConfigSource> {
    const out: Record<string, ConfigSource> = {};
    for (const field of Object.keys(this.effective)) {
      out[field] =
        field in this.record.overrides
          ? 'runtime'
          : field in this.env
            ? 'env'
            : field in this.file
              ? 'file'
              : 'default';
    }
    return out;
  }
}
