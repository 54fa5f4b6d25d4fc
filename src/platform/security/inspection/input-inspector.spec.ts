import { inspectInput } from './input-inspector';

describe('inspectInput', () => {
  it('should report each suspicious value and key with its dotted path', () => {
    const findings = inspectInput({
      body: {
        title: 'fine',
        items: [{ note: 'ok' }, { note: '<script>alert(1)</script>' }],
        ['constructor[prototype]']: 1,
      },
      query: { q: "' or 1=1--" },
      params: { name: '../../etc/passwd' },
    });
    expect(findings).toEqual([
      { field: 'body.items.1.note', family: 'xss' },
      { field: 'body.constructor[prototype]', family: 'prototype-pollution' },
      { field: 'query.q', family: 'sql-injection' },
      { field: 'params.name', family: 'path-traversal' },
    ]);
  });

  it('should stop at the depth and node budget instead of walking a hostile body forever', () => {
    let deep: unknown = '<script>alert(1)</script>';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(inspectInput({ body: deep, query: {}, params: {} })).toEqual([]);
    const wide = Array.from({ length: 20_000 }, (_, i) => (i === 15_000 ? '; cat /etc/passwd' : 'x'));
    expect(inspectInput({ body: wide, query: {}, params: {} })).toEqual([]);
  });
});
