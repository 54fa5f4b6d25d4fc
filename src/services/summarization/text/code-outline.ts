/** A declaration found in source code, with the comment that documents it. */
export interface CodeDeclaration {
  kind: string;
  name: string;
  /** The declaration line, trimmed, without its body. */
  signature: string;
  /** First sentence of the doc comment or docstring, when there is one. */
  doc?: string;
  exported: boolean;
  /** Nesting by indentation: 0 is top level. */
  depth: number;
  start: number;
  end: number;
}

const PATTERNS: {
  re: RegExp;
  kind: (m: RegExpExecArray) => string;
  name: (m: RegExpExecArray) => string;
  exported?: (m: RegExpExecArray) => boolean;
}[] = [
  {
    // Python (first: `class X:` would otherwise read as a TypeScript class); public unless _private.
    re: /^(\s*)(?:async\s+)?(def|class)\s+(\w+)[^{]*:\s*(#.*)?$/,
    kind: (m) => (m[2] === 'def' ? 'function' : 'class'),
    name: (m) => m[3],
    exported: (m) => !m[3].startsWith('_'),
  },
  {
    // TypeScript / JavaScript
    re: /^(\s*)(export\s+(?:default\s+)?)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(class|interface|enum|type|function\*?|const|let|var)\s+([A-Za-z_$][\w$]*)/,
    kind: (m) => m[3].replace('*', ''),
    name: (m) => m[4],
    exported: (m) => Boolean(m[2]),
  },
  {
    re: /^(\s*)func\s+(?:\([^)]*\)\s*)?(\w+)/,
    kind: () => 'function',
    name: (m) => m[2],
    exported: (m) => /^[A-Z]/.test(m[2]),
  },
  {
    re: /^(\s*)type\s+(\w+)\s+(struct|interface)\b/,
    kind: (m) => m[3],
    name: (m) => m[2],
    exported: (m) => /^[A-Z]/.test(m[2]),
  },
  {
    re: /^(\s*)(pub(?:\([^)]*\))?\s+)?(fn|struct|enum|trait|impl|mod)\s+(\w+)/,
    kind: (m) => (m[3] === 'fn' ? 'function' : m[3]),
    name: (m) => m[4],
    exported: (m) => Boolean(m[2]),
  },
  {
    // Java / C# / Kotlin types
    re: /^(\s*)((?:public|internal)\s+)?(?:(?:private|protected|static|final|abstract|sealed|partial|data|open)\s+)*(class|interface|enum|record|object)\s+(\w+)/,
    kind: (m) => m[3],
    name: (m) => m[4],
    exported: (m) => Boolean(m[2]),
  },
  {
    // Methods: indented `name(args) {` or with modifiers / return types.
    re: /^(\s+)((?:public\s+|protected\s+)?)(?:(?:private|static|async|override|readonly|get|set|final|synchronized)\s+)*(?:[\w<>[\],.?]+\s+)?(\w+)\s*(?:<[^>]*>)?\s*\([^;]*$/,
    kind: () => 'method',
    name: (m) => m[3],
    exported: (m) => Boolean(m[2]),
  },
];
const NOT_NAMES = new Set([
  'if',
  'for',
  'while',
  'switch',
  'catch',
  'return',
  'function',
  'new',
  'else',
  'await',
  'throw',
  'super',
  'constructor',
]);

function firstSentence(comment: string): string | undefined {
  const text = comment
    .replace(/^\s*(\/\*\*?|\*\/|\*|\/\/\/?|#|"""|''')\s?/gm, '')
    .replace(/\*\/\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!text || text.startsWith('@')) return undefined;
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return (m ? m[1] : text).slice(0, 200);
}

/** The comment block ending right above line `i`, if any. */
function leadingComment(lines: string[], i: number): string | undefined {
  const block: string[] = [];
  for (let j = i - 1; j >= 0; j--) {
    const t = lines[j].trim();
    if (/^(\/\/|#(?![!\w]*include)|\*|\/\*)/.test(t) || (t.endsWith('*/') && block.length === 0))
      block.unshift(lines[j]);
    else if (/^@\w+/.test(t) && block.length === 0)
      continue; // decorators sit between doc and declaration
    else break;
  }
  return block.length ? block.join('\n') : undefined;
}

/** A Python docstring on the lines right below a `def`/`class`. */
function docstring(lines: string[], i: number): string | undefined {
  const next = lines[i + 1]?.trim() ?? '';
  const m = /^("""|''')(.*)$/.exec(next);
  if (!m) return undefined;
  const parts = [m[2]];
  for (let j = i + 2; j < lines.length && !parts.at(-1)!.includes(m[1]); j++) parts.push(lines[j].trim());
  return parts.join(' ').replace(m[1], '');
}

/**
 * Finds declarations (classes, functions, types, methods…) in common languages by their line
 * shape, each with the first sentence of its doc comment. Code is summarised by what it declares
 * and documents, never by splitting it into "sentences".
 */
export function extractDeclarations(code: string): CodeDeclaration[] {
  const lines = code.split('\n');
  const out: CodeDeclaration[] = [];
  let offset = 0;
  lines.forEach((line, i) => {
    const lineStart = offset;
    offset += line.length + 1;
    for (const p of PATTERNS) {
      const m = p.re.exec(line);
      if (!m) continue;
      const name = p.name(m);
      if (NOT_NAMES.has(name)) break;
      const depth = Math.floor(m[1].replace(/\t/g, '    ').length / 2);
      if (depth > 0 && ['const', 'let', 'var'].includes(p.kind(m))) break; // locals are not API
      const comment = leadingComment(lines, i) ?? docstring(lines, i);
      const signature = line
        .trim()
        .replace(/\s*[{:]\s*$/, '')
        .replace(/\s*=\s*.*$/, (s) => (/=>|function/.test(s) ? ' = …' : ''));
      out.push({
        kind: p.kind(m),
        name,
        signature: signature.length > 120 ? `${signature.slice(0, 119)}…` : signature,
        doc: comment === undefined ? undefined : firstSentence(comment),
        exported: p.exported?.(m) ?? false,
        depth,
        start: lineStart,
        end: lineStart + line.length,
      });
      break;
    }
  });
  return out;
}

/** Importance for picking the top declarations: public, documented, top-level types first. */
export function declarationWeight(d: CodeDeclaration): number {
  const kindWeight = ['class', 'interface', 'struct', 'trait', 'enum', 'record', 'type'].includes(d.kind)
    ? 1.5
    : d.kind === 'method'
      ? 0.5
      : 1;
  return kindWeight + (d.exported ? 2 : 0) + (d.doc ? 1.5 : 0) + (d.depth === 0 ? 1 : 0);
}

/** One summary line per declaration: signature, then its doc sentence. */
export function describeDeclaration(d: CodeDeclaration): string {
  return d.doc ? `${d.signature} — ${d.doc}` : d.signature;
}
