import { SseTopic } from './sse-topic';

describe(SseTopic.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('should hand out strictly increasing ids, also within one millisecond and after remote ids', () => {
    const t = new SseTopic('x', 10);
    const a = t.nextId();
    const b = t.nextId();
    expect(b).toBeGreaterThan(a);
    t.record(b + 1_000, 'remote');
    expect(t.nextId()).toBeGreaterThan(b + 1_000);
  });

  it('should replay what came after the given id', () => {
    const t = new SseTopic('x', 10);
    const ids = [1, 2, 3].map(() => t.record(t.nextId(), 'f').id);
    const r = t.since(String(ids[0]));
    expect(r).toEqual({
      kind: 'replay',
      events: [
        { id: ids[1], frame: 'f' },
        { id: ids[2], frame: 'f' },
      ],
    });
  });

  it('should answer reset for a resume from before a gap, even from the latest id seen, and replay from the gap on', () => {
    const t = new SseTopic('x', 10);
    const seen = t.record(t.nextId(), 'f').id;
    const gap = t.markGap();
    expect(gap).toBeGreaterThan(seen);
    expect(t.since(String(seen))).toEqual({ kind: 'reset', latestId: gap });
    const after = t.record(t.nextId(), 'g').id;
    expect(t.since(String(gap))).toEqual({ kind: 'replay', events: [{ id: after, frame: 'g' }] });
  });

  it('should answer reset when the id was evicted, predates the topic here, is unknown or malformed', () => {
    const t = new SseTopic('x', 2);
    const ids = [1, 2, 3, 4].map(() => t.record(t.nextId(), 'f').id);
    // Buffer holds ids[2], ids[3]: a client at ids[0] missed ids[1], which is gone.
    expect(t.since(String(ids[0])).kind).toBe('reset');
    expect(t.since(String(ids[1])).kind).toBe('replay');
    expect(t.since('5').kind).toBe('reset');
    expect(t.since(String(ids[3] + 10)).kind).toBe('reset');
    expect(t.since('abc')).toEqual({ kind: 'reset', latestId: ids[3] });
  });
});
