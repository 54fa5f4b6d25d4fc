import { changedFields, mergePatch } from './merge-patch';

describe(mergePatch.name, () => {
  it('should merge objects, remove keys set to null and replace everything else', () => {
    const target = { a: 1, b: { x: 1, y: 2 }, c: [1, 2], d: 'keep' };
    const patch = { a: 2, b: { y: null, z: 3 }, c: [3], e: { f: null } };
    expect(mergePatch(target, patch)).toEqual({ a: 2, b: { x: 1, z: 3 }, c: [3], d: 'keep', e: {} });
    expect(target).toEqual({ a: 1, b: { x: 1, y: 2 }, c: [1, 2], d: 'keep' });
  });

  it('should ignore prototype-polluting keys', () => {
    const out = mergePatch({}, JSON.parse('{"__proto__":{"polluted":true},"ok":1}')) as Record<string, unknown>;
    expect(out).toEqual({ ok: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('should list the top-level fields that differ', () => {
    expect(changedFields({ a: 1, b: { x: 1 }, c: 1 }, { a: 1, b: { x: 2 }, d: 1 })).toEqual(['b', 'c', 'd']);
  });
});
