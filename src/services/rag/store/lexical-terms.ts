/** English function words: they match nearly every chunk, add nothing to BM25 but cost the most. */
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its ' +
    'may me might must my no not of on or our shall she should so than that the their them then there these they this ' +
    'those to too us was we were what when where which while who whom why will with would you your'
  ).split(' '),
);

/** MiniSearch `processTerm` for indexing and queries alike: lowercase, stop words dropped. */
export function processLexicalTerm(term: string): string | null {
  const lower = term.toLowerCase();
  return STOP_WORDS.has(lower) ? null : lower;
}
