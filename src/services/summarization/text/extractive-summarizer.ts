import { declarationWeight, describeDeclaration, extractDeclarations } from './code-outline';
import type { ContentType } from './content-type';
import type { TextSpan } from './sentence-splitter';
import { conversationUnits, listUnits, markdownUnits, proseUnits, rankingText } from './summary-units';
import { textRankScores, topUnits } from './textrank';

export const EXTRACTIVE_STRATEGIES = [
  'textrank-sentences',
  'textrank-markdown',
  'textrank-items',
  'textrank-turns',
  'code-outline',
] as const;
export type ExtractiveStrategy = (typeof EXTRACTIVE_STRATEGIES)[number];

/** How many units to keep: `ratio` of them (at least one), or `maxSentences`. */
export type SummaryLength = { maxSentences: number } | { ratio: number };

export interface ExtractiveSummary {
  strategy: ExtractiveStrategy;
  summary: string;
  /** The kept units, in source order, with offsets into the input. */
  selected: TextSpan[];
  /** How many units (sentences, items, turns, declarations) the input had. */
  totalUnits: number;
}

function count(length: SummaryLength, total: number): number {
  return 'ratio' in length ? Math.max(1, Math.round(length.ratio * total)) : Math.min(total, length.maxSentences);
}

/** A small lead bonus: articles tend to put the point first. */
const leadBias = (i: number) => 1 + 0.2 / (i + 1);

function rank(units: TextSpan[], length: SummaryLength, bias?: (i: number) => number): TextSpan[] {
  const scores = textRankScores(units.map((u) => rankingText(u.text)));
  return topUnits(scores, count(length, units.length), bias).map((i) => units[i]);
}

function summariseCode(source: string, length: SummaryLength): ExtractiveSummary {
  const decls = extractDeclarations(source);
  if (decls.length === 0) return codeLines(source, length);
  const k = count(length, decls.length);
  const chosen = decls
    .map((d, i) => ({ d, i, w: declarationWeight(d) }))
    .sort((a, b) => b.w - a.w || a.i - b.i)
    .slice(0, k)
    .sort((a, b) => a.i - b.i)
    .map(({ d }) => ({ text: describeDeclaration(d), start: d.start, end: d.end }));
  return {
    strategy: 'code-outline',
    summary: chosen.map((c) => c.text).join('\n'),
    selected: chosen,
    totalUnits: decls.length,
  };
}

/** Code without recognisable declarations (a script, a snippet): its first meaningful lines. */
function codeLines(source: string, length: SummaryLength): ExtractiveSummary {
  const lines: TextSpan[] = [];
  let start = 0;
  for (const line of source.split('\n')) {
    const text = line.trim();
    if (text.length > 2)
      lines.push({ text, start: start + line.indexOf(text), end: start + line.indexOf(text) + text.length });
    start += line.length + 1;
  }
  const selected = lines.slice(0, count(length, lines.length));
  return {
    strategy: 'code-outline',
    summary: selected.map((l) => l.text).join('\n'),
    selected,
    totalUnits: lines.length,
  };
}

/** The units a text of this type is summarised in (declarations for code). */
export function countUnits(source: string, type: ContentType): number {
  switch (type) {
    case 'code':
      return extractDeclarations(source).length || source.split('\n').filter((l) => l.trim().length > 2).length;
    case 'markdown':
      return markdownUnits(source).length;
    case 'list':
      return listUnits(source).length;
    case 'conversation':
      return conversationUnits(source).length;
    case 'prose':
      return proseUnits(source).length;
  }
}

/**
 * Extractive summary in-process, no model: picks the units that fit the content type and keeps
 * the TextRank best of them in source order. Code is outlined by its declarations instead.
 */
export function summariseExtractive(source: string, type: ContentType, length: SummaryLength): ExtractiveSummary {
  const plan = (
    units: TextSpan[],
    strategy: ExtractiveStrategy,
    separator: string,
    bias?: (i: number) => number,
  ): ExtractiveSummary => {
    const selected = rank(units, length, bias);
    return { strategy, summary: selected.map((u) => u.text).join(separator), selected, totalUnits: units.length };
  };
  switch (type) {
    case 'code':
      return summariseCode(source, length);
    case 'markdown':
      return plan(markdownUnits(source), 'textrank-markdown', ' ', leadBias);
    case 'list':
      return plan(listUnits(source), 'textrank-items', '\n');
    case 'conversation':
      return plan(conversationUnits(source), 'textrank-turns', '\n');
    case 'prose':
      return plan(proseUnits(source), 'textrank-sentences', ' ', leadBias);
  }
}
