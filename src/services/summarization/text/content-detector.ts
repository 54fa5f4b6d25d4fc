import type { ContentDetection, ContentType } from './content-type';

const CODE_LINE =
  /^\s*(import\s|export\s|from\s\S+\simport|package\s|using\s|#include|def\s|class\s|interface\s|enum\s|struct\s|impl\s|fn\s|func\s|function\b|const\s|let\s|var\s|public\s|private\s|protected\s|static\s|return\b|if\s*\(|for\s*\(|while\s*\(|else\b|try\b|catch\b|@\w+|}|{|\)|\/\/|\/\*|#!)|^\s+\*/;
const CODE_END = /[;{}]\s*$|\)\s*:?\s*$|=>\s*{?\s*$/;
const SPEAKER_LINE = /^\s*(\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s*)?([\p{Lu}][\p{L}\d .'_-]{0,30}|>+)\s*:\s+\S/u;
const BULLET_LINE = /^\s*([-*•+]|\d+[.)]|\[[ x]\])\s+\S/;
const MD_HEADING = /^\s*#{1,6}\s+\S/;
const MD_FENCE = /^\s*(```|~~~)/;
const MD_TABLE = /^\s*\|.*\|\s*$/;
const MD_INLINE = /`[^`]+`|\[[^\]]+\]\([^)]+\)|\*\*[^*]+\*\*/g;

const round2 = (n: number) => Math.round(n * 100) / 100;

function codeScore(lines: string[]): number {
  const looksLikeCode = lines.filter((l) => CODE_LINE.test(l) || CODE_END.test(l)).length / lines.length;
  const symbols = (lines.join('').match(/[{}();=<>[\]]/g) ?? []).length / Math.max(1, lines.join('').length);
  const indented = lines.filter((l) => /^( {2,}|\t)/.test(l)).length / lines.length;
  return Math.min(1, looksLikeCode * 0.7 + Math.min(1, symbols * 12) * 0.2 + indented * 0.1);
}

function conversationScore(lines: string[]): number {
  const speakers = new Map<string, number>();
  let turns = 0;
  for (const line of lines) {
    const m = SPEAKER_LINE.exec(line);
    if (m && !/^(note|warning|tip|todo|example|step \d+)$/i.test(m[2].trim())) {
      turns++;
      speakers.set(m[2].trim(), (speakers.get(m[2].trim()) ?? 0) + 1);
    }
  }
  if (speakers.size < 2) return 0;
  const recurring = [...speakers.values()].filter((n) => n >= 2).length >= 2 ? 1 : 0.6;
  return Math.min(1, (turns / lines.length) * recurring * 1.1);
}

function listScore(lines: string[]): number {
  return lines.filter((l) => BULLET_LINE.test(l)).length / lines.length;
}

function markdownScore(lines: string[], text: string): number {
  const headings = lines.filter((l) => MD_HEADING.test(l)).length;
  const fences = lines.filter((l) => MD_FENCE.test(l)).length;
  const tables = lines.filter((l) => MD_TABLE.test(l)).length;
  const inline = (text.match(MD_INLINE) ?? []).length;
  const signals = headings * 3 + fences * 3 + tables + inline;
  return Math.min(1, signals / Math.max(4, lines.length * 0.8));
}

function proseScore(lines: string[], text: string): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  const stops = (text.match(/[.!?]["'”’)]*(\s|$)/g) ?? []).length;
  const wordsPerSentence = words / Math.max(1, stops);
  const sentenceLike = wordsPerSentence >= 6 && wordsPerSentence <= 45 ? 1 : 0.4;
  const letters = (text.match(/\p{L}/gu) ?? []).length / Math.max(1, text.replace(/\s/g, '').length);
  const longLines = lines.filter((l) => l.split(/\s+/).length >= 8).length / lines.length;
  return Math.min(1, sentenceLike * 0.4 + letters * 0.35 + longLines * 0.25);
}

/**
 * Guesses what kind of text this is from line-level signals (code syntax, speaker labels, bullets,
 * markdown markup, sentence shape). Heuristic and deterministic; `confidence` is the winner's
 * score discounted by how close the runner-up came.
 */
export function detectContentType(text: string): ContentDetection {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) {
    return { type: 'prose', confidence: 0, scores: { prose: 0, conversation: 0, code: 0, markdown: 0, list: 0 } };
  }
  const scores: Record<ContentType, number> = {
    code: codeScore(lines),
    conversation: conversationScore(lines),
    list: listScore(lines),
    markdown: markdownScore(lines, text),
    prose: proseScore(lines, text) * 0.85,
  };
  // A fenced block inside a document is markdown, not code.
  if (lines.some((l) => MD_FENCE.test(l)) && scores.markdown > 0.2) scores.code *= 0.5;
  const ranked = (Object.entries(scores) as [ContentType, number][]).sort((a, b) => b[1] - a[1]);
  const [[type, best], [, second]] = ranked;
  const confidence = best <= 0 ? 0 : best * (1 - second / (2 * best));
  return {
    type,
    confidence: round2(Math.max(0, Math.min(1, confidence))),
    scores: Object.fromEntries(ranked.map(([k, v]) => [k, round2(v)])) as Record<ContentType, number>,
  };
}
