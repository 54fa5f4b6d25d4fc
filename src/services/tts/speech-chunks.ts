import { splitSentences } from '../summarization';

/**
 * Splits text for synthesis at sentence boundaries (the summarization service's splitter): the
 * first chunk is short (at most `firstChars`, or its first sentence) so audio starts soon; the
 * rest is shared about equally among `parts` chunks synthesised in parallel, none longer than
 * `chunkChars`, so a long text costs few engine calls. A sentence longer than a chunk is cut at
 * the last space before the limit.
 */
export function speechChunks(text: string, firstChars: number, chunkChars: number, parts = 1): string[] {
  const sentences = splitSentences(text).flatMap((s) => cutLong(s.text, chunkChars));
  const chunks: string[] = [];
  let current = '';
  let share = chunkChars;
  for (const sentence of sentences) {
    const limit = chunks.length === 0 ? firstChars : chunkChars;
    if (current && current.length + 1 + sentence.length > limit) {
      chunks.push(current);
      current = '';
    }
    if (chunks.length === 1 && share === chunkChars) {
      share = Math.min(chunkChars, Math.ceil((text.length - chunks[0].length) / parts));
    }
    current = current ? `${current} ${sentence}` : sentence;
    // Later chunks close once they reach their share, so the rest divides into about `parts`.
    if (chunks.length > 0 && current.length >= share) {
      chunks.push(current);
      current = '';
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

function cutLong(sentence: string, max: number): string[] {
  const out: string[] = [];
  let rest = sentence;
  while (rest.length > max) {
    const space = rest.lastIndexOf(' ', max);
    const at = space > max / 2 ? space : max;
    out.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest) out.push(rest);
  return out;
}
