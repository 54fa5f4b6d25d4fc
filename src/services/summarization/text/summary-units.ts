import { splitSentences, type TextSpan } from './sentence-splitter';

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^\s*#{1,6}\s/;
const TABLE = /^\s*\|.*\|\s*$/;
const BULLET = /^(\s*)([-*•+]|\d+[.)]|\[[ x]\])\s+/;
const SPEAKER = /^\s*(\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s*)?([\p{Lu}][\p{L}\d .'_-]{0,30}|>+)\s*:\s+\S/u;

/** Lines with their offsets, so units can point back into the source. */
function lines(source: string): TextSpan[] {
  const out: TextSpan[] = [];
  let start = 0;
  for (const text of source.split('\n')) {
    out.push({ text, start, end: start + text.length });
    start += text.length + 1;
  }
  return out;
}

function span(source: string, start: number, end: number): TextSpan {
  const raw = source.slice(start, end);
  const lead = raw.length - raw.trimStart().length;
  const text = raw.trim();
  return { text, start: start + lead, end: start + lead + text.length };
}

/** Strips inline markdown so ranking and output read as plain text. */
export function plainMarkdown(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(BULLET, '')
    .trim();
}

/** Prose: sentences. */
export const proseUnits = (source: string): TextSpan[] => splitSentences(source);

/** Markdown: sentences of the text blocks; headings, tables and fenced code are context, not summary. */
export function markdownUnits(source: string): TextSpan[] {
  const out: TextSpan[] = [];
  let inFence = false;
  let blockStart = -1;
  const flush = (end: number) => {
    if (blockStart < 0) return;
    for (const s of splitSentences(source.slice(blockStart, end))) {
      const text = plainMarkdown(s.text);
      if (text) out.push({ text, start: blockStart + s.start, end: blockStart + s.end });
    }
    blockStart = -1;
  };
  for (const line of lines(source)) {
    if (FENCE.test(line.text)) {
      flush(line.start);
      inFence = !inFence;
    } else if (inFence || HEADING.test(line.text) || TABLE.test(line.text)) {
      flush(line.start);
    } else if (blockStart < 0 && line.text.trim()) {
      blockStart = line.start;
    }
  }
  flush(source.length);
  return out;
}

/** Lists: one unit per item (continuation lines included). */
export function listUnits(source: string): TextSpan[] {
  const out: TextSpan[] = [];
  let current: { start: number; end: number } | undefined;
  for (const line of lines(source)) {
    if (BULLET.test(line.text) || (!current && line.text.trim())) {
      if (current) out.push(span(source, current.start, current.end));
      current = { start: line.start, end: line.end };
    } else if (current && line.text.trim()) {
      current.end = line.end;
    } else if (current) {
      out.push(span(source, current.start, current.end));
      current = undefined;
    }
  }
  if (current) out.push(span(source, current.start, current.end));
  return out;
}

/** Transcripts: one unit per turn (a speaker line and its continuation lines). */
export function conversationUnits(source: string): TextSpan[] {
  const out: TextSpan[] = [];
  let current: { start: number; end: number } | undefined;
  for (const line of lines(source)) {
    if (SPEAKER.test(line.text)) {
      if (current) out.push(span(source, current.start, current.end));
      current = { start: line.start, end: line.end };
    } else if (current && line.text.trim()) {
      current.end = line.end;
    }
  }
  if (current) out.push(span(source, current.start, current.end));
  return out;
}

/** The words of a unit that carry meaning for ranking (a turn without its speaker label). */
export function rankingText(unit: string): string {
  return unit.replace(SPEAKER, (m) => m.slice(m.lastIndexOf(':') + 1)).replace(BULLET, '');
}
