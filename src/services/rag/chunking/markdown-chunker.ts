import type { Chunk, ChunkingOptions } from './chunk.types';

interface Range {
  start: number;
  end: number;
}
interface Section extends Range {
  headingPath: string[];
  pieces: Range[];
}

const HEADING = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/;
const FENCE = /^[ \t]*(```|~~~)/;
const SENTENCE_END = /[.!?…]["'”’)\]]*\s+(?=["“'([]?[\p{Lu}\d])/gu;

/** Splits the source into sections at markdown headings, and each section into blocks (paragraphs, fenced code). */
function sections(source: string): Section[] {
  const out: Section[] = [];
  const path: { level: number; title: string }[] = [];
  let current: Section = { start: 0, end: 0, headingPath: [], pieces: [] };
  let block: Range | undefined;
  let inFence = false;
  let offset = 0;
  const closeBlock = (end: number) => {
    if (block) current.pieces.push({ start: block.start, end });
    block = undefined;
  };
  for (const line of source.split('\n')) {
    const lineStart = offset;
    const lineEnd = offset + line.length;
    offset = lineEnd + 1;
    const heading = inFence ? null : HEADING.exec(line);
    if (heading) {
      closeBlock(lineStart);
      current.end = lineStart;
      out.push(current);
      const level = heading[1].length;
      while (path.length && path.at(-1)!.level >= level) path.pop();
      path.push({ level, title: heading[2].trim() });
      current = {
        start: lineStart,
        end: lineEnd,
        headingPath: path.map((p) => p.title),
        pieces: [{ start: lineStart, end: lineEnd }],
      };
      continue;
    }
    if (FENCE.test(line)) inFence = !inFence;
    if (line.trim() === '' && !inFence) {
      closeBlock(lineStart);
      continue;
    }
    block ??= { start: lineStart, end: lineEnd };
    block.end = lineEnd;
  }
  closeBlock(block?.end ?? source.length);
  current.end = source.length;
  out.push(current);
  return out.filter((s) => s.pieces.length > 0);
}

/** Cuts a block longer than `max` at sentence ends, then at spaces, so no piece exceeds `max`. */
function splitLong(source: string, piece: Range, max: number): Range[] {
  if (piece.end - piece.start <= max) return [piece];
  const cuts: number[] = [];
  const text = source.slice(piece.start, piece.end);
  for (const m of text.matchAll(SENTENCE_END)) cuts.push(piece.start + m.index + m[0].length);
  const out: Range[] = [];
  let start = piece.start;
  let lastGood = start;
  for (const cut of [...cuts, piece.end]) {
    if (cut - start > max && lastGood > start) {
      out.push({ start, end: lastGood });
      start = lastGood;
    }
    lastGood = cut;
    while (lastGood - start > max) {
      const space = source.lastIndexOf(' ', start + max);
      const at = space > start ? space + 1 : start + max;
      out.push({ start, end: at });
      start = at;
    }
  }
  if (piece.end > start) out.push({ start, end: piece.end });
  return out;
}

/** Where an overlapping chunk starts: `overlap` characters back from `end`, moved forward to a word start. */
function overlapStart(source: string, previousStart: number, end: number, overlap: number): number {
  if (overlap <= 0) return end;
  let at = Math.max(previousStart + 1, end - overlap);
  while (at < end && !/\s/.test(source[at - 1] ?? ' ')) at++;
  return at;
}

function trimmed(source: string, start: number, end: number): Range {
  while (start < end && /\s/.test(source[start])) start++;
  while (end > start && /\s/.test(source[end - 1])) end--;
  return { start, end };
}

/**
 * Structure-aware chunking: chunks never cross a markdown heading, are packed from whole blocks
 * (paragraphs, lists, fenced code) up to `targetChars`, split long blocks at sentence ends, and
 * repeat `overlapChars` of context from the previous chunk of the same section. Every chunk keeps
 * its offsets into the source and its heading path. Plain text is one section of paragraphs.
 */
export function chunkDocument(source: string, options: ChunkingOptions): Chunk[] {
  const { targetChars, overlapChars } = options;
  const chunks: Chunk[] = [];
  const emit = (start: number, end: number, headingPath: string[]) => {
    const r = trimmed(source, start, end);
    if (r.end > r.start) chunks.push({ index: chunks.length, text: source.slice(r.start, r.end), ...r, headingPath });
  };
  for (const section of sections(source)) {
    // Long blocks are cut to leave room for the overlap, so consecutive chunks can share context.
    const pieceMax = Math.max(Math.ceil(targetChars / 2), targetChars - overlapChars);
    const pieces = section.pieces.flatMap((p) => splitLong(source, p, pieceMax));
    let chunkStart = pieces[0].start;
    let chunkEnd = pieces[0].start;
    for (const piece of pieces) {
      if (piece.end - chunkStart > targetChars && chunkEnd > chunkStart) {
        emit(chunkStart, chunkEnd, section.headingPath);
        // Overlap shrinks rather than make the next chunk exceed the target on its own.
        const next = overlapStart(source, chunkStart, chunkEnd, overlapChars);
        chunkStart =
          piece.end - next > targetChars
            ? overlapStart(source, chunkStart, chunkEnd, targetChars - (piece.end - piece.start))
            : next;
        if (piece.end - chunkStart > targetChars || chunkStart > piece.start) chunkStart = piece.start;
      }
      chunkEnd = piece.end;
    }
    emit(chunkStart, chunkEnd, section.headingPath);
  }
  return chunks;
}
