/** A sentence with its offsets in the source (`text === source.slice(start, end)`). */
export interface TextSpan {
  text: string;
  start: number;
  end: number;
}

/** Abbreviations after which a period never ends a sentence. */
const NEVER_ENDS = new Set(
  (
    'mr mrs ms dr prof sr jr st mt vs cf fig figs no nos vol pp ed eds approx dept est gen gov sen rep capt lt col sgt ' +
    'e.g i.e e.g., i.e., al ca ch sec art ref para tel ph.d'
  ).split(' '),
);
/** Abbreviations that may end a sentence: they do when a usual sentence opener follows. */
const MAY_END = new Set(
  'etc inc ltd co corp llc jan feb mar apr jun jul aug sep sept oct nov dec a.m p.m u.s u.k u.n e.u'.split(' '),
);
const OPENERS = new Set(
  (
    'the a an he she it they we i you this that these those there then but and so however in on at after before when ' +
    'while if as our his her its their my what why how who yet still also meanwhile today'
  ).split(' '),
);

const CANDIDATE = /([.!?…]+)(["'”’)\]]*)(\s+|$)/g;
const BULLET_LINE = /^[ \t]*([-*•+]|\d+[.)])[ \t]+/;
const HEADING_LINE = /^[ \t]*#{1,6}[ \t]/;

function isBoundary(block: string, at: number, punct: string, after: string): boolean {
  if (after === '') return true;
  const next = after.replace(/^["'“‘([]+/, '');
  // Sentences start with a capital, a digit or a quote; "wait... what" and "e.g. the" do not.
  if (/^\p{Ll}/u.test(next)) return false;
  if (punct !== '.') return true;
  const lineStart = block.lastIndexOf('\n', at - 1) + 1;
  const word = (/(\S+)$/.exec(block.slice(lineStart, at))?.[1] ?? '').replace(/^["'“‘([]+/, '');
  const lower = word.toLowerCase();
  if (/^\d+$/.test(word) && block.slice(lineStart, at).trim() === word) return false; // "1. Item"
  if (NEVER_ENDS.has(lower)) return false;
  if (/^\p{Lu}$/u.test(word)) return false; // an initial: "J. R. R. Tolkien"
  if (MAY_END.has(lower) || /^(\p{L}\.)+\p{L}$/u.test(word)) {
    const nextWord = (/^[\p{L}']+/u.exec(next)?.[0] ?? '').toLowerCase();
    return OPENERS.has(nextWord);
  }
  return true;
}

/** Splits one paragraph (no blank lines inside) into sentences; offsets are relative to `base`. */
function splitBlock(block: string, base: number, out: TextSpan[]): void {
  let start = 0;
  const push = (end: number) => {
    const raw = block.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const text = raw.trim();
    if (text) out.push({ text, start: base + start + lead, end: base + start + lead + text.length });
  };
  // Lines that are bullets or headings are units of their own even without punctuation.
  const lines = block.split('\n');
  let offset = 0;
  for (let i = 0; i < lines.length - 1; i++) {
    offset += lines[i].length + 1;
    if (BULLET_LINE.test(lines[i + 1]) || HEADING_LINE.test(lines[i])) {
      splitLine(block, start, offset - 1, push);
      start = offset;
    }
  }
  splitLine(block, start, block.length, push);

  function splitLine(src: string, from: number, to: number, emit: (end: number) => void): void {
    const segment = src.slice(0, to);
    CANDIDATE.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = CANDIDATE.exec(segment)) !== null) {
      const end = m.index + m[1].length + m[2].length;
      if (isBoundary(segment, m.index, m[1], segment.slice(end + m[3].length))) {
        emit(end);
        start = end;
      }
      if (m[0].length === 0) CANDIDATE.lastIndex++;
    }
    emit(to);
    start = to;
  }
}

/**
 * Splits prose into sentences, keeping offsets. Handles abbreviations (Dr., e.g., U.S.),
 * initials, decimals (3.14), numbered items, closing quotes and brackets after the stop, ellipses
 * inside a sentence, and blank-line paragraph breaks; bullet and heading lines are units of their own.
 */
export function splitSentences(source: string): TextSpan[] {
  const out: TextSpan[] = [];
  const paragraph = /\n[ \t]*\n/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = paragraph.exec(source)) !== null) {
    splitBlock(source.slice(start, m.index), start, out);
    start = m.index + m[0].length;
  }
  splitBlock(source.slice(start), start, out);
  return out;
}
