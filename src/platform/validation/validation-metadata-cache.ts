import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type Rules = ReturnType<Storage['getTargetValidationMetadatas']>;

const INSTALLED = Symbol.for('fennec.validationMetadataCache');

/**
 * Memoises class-validator's per-class rule lookup.
 *
 * class-validator 0.15 resolves a class's rules on every `validate()` call (every request body
 * and query DTO, and again for each nested object) by testing `instanceof` against every class
 * that has rules (here: every DTO and config class of every module), then groups the result by
 * property. It was the largest single validation cost in `npm run bench:http` profiles. The
 * rules of a class only change when a decorator runs, so the answer is cached per
 * (class, schema, options) and the whole cache dropped whenever class-validator registers a
 * rule or constraint. Hand-written because class-validator has no option for it (upstream:
 * typestack/class-validator#2686, open); the same memoisation is what larger NestJS code bases
 * do at bootstrap. The cached arrays are shared: class-validator only reads them (it filters
 * into new arrays), which `validation-metadata-cache.spec.ts` pins against the installed
 * version's behaviour.
 *
 * Idempotent; patches the one global storage class-validator uses.
 */
export function installValidationMetadataCache(storage: Storage = getMetadataStorage()): void {
  const patched = storage as Storage & { [INSTALLED]?: true };
  if (patched[INSTALLED]) return;
  patched[INSTALLED] = true;

  let byTarget = new Map<unknown, Map<string, Rules>>();
  // Only arrays this cache handed out are grouped from the cache: a caller's own array may change.
  let grouped = new WeakMap<Rules, Record<string, Rules> | undefined>();
  const clear = () => {
    byTarget = new Map();
    grouped = new WeakMap();
  };

  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups ? groups.join('\u0001') : '-'}`;
    let forTarget = byTarget.get(target);
    if (!forTarget) byTarget.set(target, (forTarget = new Map()));
    let rules = forTarget.get(key);
    if (!rules) {
      forTarget.set(key, (rules = lookup(target, schema, always, strictGroups, groups)));
      grouped.set(rules, undefined);
    }
    return rules;
  };

  const group = storage.groupByPropertyName.bind(storage);
  storage.groupByPropertyName = (rules) => {
    if (!grouped.has(rules)) return group(rules);
    let byProperty = grouped.get(rules);
    if (!byProperty) grouped.set(rules, (byProperty = group(rules)));
    return byProperty;
  };

  const addRule = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    clear();
    addRule(metadata);
  };
  const addConstraint = storage.addConstraintMetadata.bind(storage);
  storage.addConstraintMetadata = (metadata) => {
    clear();
    addConstraint(metadata);
  };
}
