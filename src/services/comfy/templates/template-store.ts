import { Inject, Injectable } from '@nestjs/common';
import { STATE_STORE, type StateStore } from '../../../platform/state';
import { comfyConfig, type ComfyConfig } from '../comfy.config';
import { ComfyTemplateNotFoundError } from '../comfy.errors';
import { builtinTemplates } from './builtin-templates';
import type { ComfyTemplate, StoredTemplate } from './comfy-template';

export const GLOBAL_SCOPE = 'global';
const KEY = (scope: string) => `comfy:templates:${scope}`;
const BUILT_IN_DATE = new Date(0).toISOString();

/** One scope's templates: name → versions, oldest first. */
type ScopeDoc = Record<string, StoredTemplate[]>;

/**
 * Templates per scope (a tenant, or `global`) on the platform's StateStore (memory, or Redis
 * shared by every instance): one versioned document per scope, changed with compare-and-set, so
 * two instances saving at once never lose a version. Versions only go up; the newest
 * COMFY_TEMPLATE_VERSIONS_KEPT of each name are kept. Lookup order: the tenant's, then global,
 * then built-in.
 */
@Injectable()
export class TemplateStore {
  private readonly builtIns: Map<string, StoredTemplate>;

  constructor(
    @Inject(STATE_STORE) private readonly state: StateStore,
    @Inject(comfyConfig.KEY) private readonly config: ComfyConfig,
  ) {
    this.builtIns = new Map(
      builtinTemplates(config.defaultCheckpoint).map((t) => [
        t.name,
        { ...t, scope: 'built-in', version: 1, builtIn: true, createdAt: BUILT_IN_DATE, createdBy: 'fennec' },
      ]),
    );
  }

  isBuiltIn(name: string): boolean {
    return this.builtIns.has(name);
  }

  /** Saves a new version; returns it. */
  async save(scope: string, template: ComfyTemplate, createdBy: string): Promise<StoredTemplate> {
    for (;;) {
      const current = await this.state.getVersioned(KEY(scope));
      const doc = current ? (JSON.parse(current.value) as ScopeDoc) : {};
      const versions = doc[template.name] ?? [];
      const stored: StoredTemplate = {
        ...template,
        scope,
        version: (versions.at(-1)?.version ?? 0) + 1,
        builtIn: false,
        createdAt: new Date().toISOString(),
        createdBy,
      };
      doc[template.name] = [...versions, stored].slice(-this.config.templateVersionsKept);
      const written = await this.state.compareAndSet(KEY(scope), current?.version ?? 0, JSON.stringify(doc));
      if (written.ok) return stored;
    }
  }

  /** The newest version of each template the tenant sees (its own shadow global and built-in ones). */
  async list(tenant: string): Promise<StoredTemplate[]> {
    const byName = new Map<string, StoredTemplate>(this.builtIns);
    for (const scope of [GLOBAL_SCOPE, tenant]) {
      for (const [name, versions] of Object.entries(await this.doc(scope))) {
        const newest = versions.at(-1);
        if (newest) byName.set(name, newest);
      }
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The template the tenant means by `name` (`name` or `name@version`).
   *
   * @throws ComfyTemplateNotFoundError
   */
  async resolve(tenant: string, ref: string): Promise<StoredTemplate> {
    const [name, rawVersion] = ref.split('@');
    const version = rawVersion === undefined ? undefined : Number(rawVersion);
    for (const scope of [tenant, GLOBAL_SCOPE]) {
      const versions = (await this.doc(scope))[name];
      if (versions === undefined || versions.length === 0) continue;
      const found = version === undefined ? versions.at(-1) : versions.find((v) => v.version === version);
      if (found) return found;
      throw new ComfyTemplateNotFoundError(`Template ${name} has no version ${rawVersion}`);
    }
    const builtIn = this.builtIns.get(name);
    if (builtIn && (version === undefined || version === 1)) return builtIn;
    throw new ComfyTemplateNotFoundError(`No template named ${ref}`);
  }

  private async doc(scope: string): Promise<ScopeDoc> {
    const current = await this.state.getVersioned(KEY(scope));
    return current ? (JSON.parse(current.value) as ScopeDoc) : {};
  }
}
