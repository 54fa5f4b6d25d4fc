import { describeDeclaration, extractDeclarations } from './code-outline';
import { PYTHON, TYPESCRIPT } from './fixtures.testing';

describe(extractDeclarations.name, () => {
  it('should find TypeScript declarations with their doc comments past decorators', () => {
    const decls = extractDeclarations(TYPESCRIPT);
    expect(decls.map((d) => `${d.kind} ${d.name}`)).toEqual([
      'class DocumentIndex',
      'method upsert',
      'method search',
      'function hash',
      'const VERSION',
    ]);
    expect(decls[0]).toMatchObject({
      exported: true,
      depth: 0,
      doc: 'Stores documents and answers searches over them.',
    });
    expect(decls[1].doc).toBe('Adds or replaces a document.');
    expect(decls[3].doc).toBe('Hashes a string to a 32-bit number.');
    expect(describeDeclaration(decls[0])).toBe(
      'export class DocumentIndex — Stores documents and answers searches over them.',
    );
  });

  it('should find Python classes and functions with docstrings', () => {
    const decls = extractDeclarations(PYTHON);
    expect(decls.map((d) => `${d.kind} ${d.name}`)).toEqual([
      'class Circle',
      'function __init__',
      'function area',
      'function _helper',
    ]);
    expect(decls[0].doc).toBe('A circle in the plane.');
    expect(decls[2].doc).toBe('Area of the circle.');
    expect(decls[3].exported).toBe(false);
  });

  it('should keep offsets on the declaration line', () => {
    for (const d of extractDeclarations(TYPESCRIPT)) expect(TYPESCRIPT.slice(d.start, d.end)).toContain(d.name);
  });
});
