const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up very was we were what when where which while who whom why will ' +
    'with would you your yours yourself yourselves also may might must shall us one two'
  ).split(' '),
);

/** Strips common English suffixes so "running"/"runs"/"run" meet; crude on purpose (no dictionary). */
function stem(word: string): string {
  if (word.length <= 4) return word;
  for (const suffix of [
    'ational',
    'ization',
    'fulness',
    'ousness',
    'iveness',
    'ments',
    'ment',
    'ings',
    'ing',
    'edly',
    'ies',
    'ied',
    'ed',
    'ly',
    'es',
    's',
  ]) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length);
  }
  return word;
}

/** Content words of a text: lowercased, stop words dropped, lightly stemmed. */
export function contentWords(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
  return words.filter((w) => !STOPWORDS.has(w) && !/^\d+$/.test(w)).map(stem);
}
