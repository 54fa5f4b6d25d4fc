import stem from 'wink-porter2-stemmer';

/**
 * PostgreSQL's `english` text-search stop words (`tsearch_data/english.stop`, the Snowball list),
 * so the embedded store drops exactly the words the PostgreSQL store's `to_tsvector('english')`
 * drops, and a query finds the same documents on both.
 */
const STOP_WORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers ' +
    'herself it its itself they them their theirs themselves what which who whom this that these those am is ' +
    'are was were be been being have has had having do does did doing a an the and but if or because as until ' +
    'while of at by for with about against between into through during before after above below to from up ' +
    'down in out on off over under again further then once here there when where why how all any both each ' +
    'few more most other some such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);

/**
 * MiniSearch `processTerm` for indexing and queries alike: lowercase, stop words dropped, then
 * the Porter2 (Snowball English) stem, the algorithm of PostgreSQL's `english_stem` dictionary:
 * "receipts" and "receipt", "running" and "runs" meet on one term.
 */
export function processLexicalTerm(term: string): string | null {
  const lower = term.toLowerCase();
  return STOP_WORDS.has(lower) ? null : stem(lower);
}
