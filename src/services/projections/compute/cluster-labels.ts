/** Words too common to say anything about a cluster (English function words). */
const STOP_WORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have having ' +
    'he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on ' +
    'once only or other our ours out over own same she should so some such than that the their theirs them then ' +
    'there these they this those through to too under until up very was we were what when where which while who ' +
    'whom why will with would you your yours one two may might must shall use used using per via etc'
  ).split(' '),
);

/** Lower-cased words of 3+ letters (Unicode letters, digits inside a word), without stop words. */
export function terms(text: string): string[] {
  const words = text.toLowerCase().match(/\p{L}[\p{L}\p{N}'-]*\p{L}|\p{L}/gu) ?? [];
  return words.filter((w) => w.length >= 3 && !STOP_WORDS.has(w));
}

/**
 * The most distinctive terms of each cluster: TF-IDF with each cluster's texts as one document
 * against the other clusters (term frequency in the cluster, times the log inverse share of
 * clusters using it), so a word common to every cluster scores 0 and one unique to a cluster ranks
 * first. Hand-written: a dozen lines, where a text-mining package would bring its own tokenizer
 * and corpus model for no gain.
 */
export function labelClusters(texts: string[], clusterOf: ArrayLike<number>, k: number, top = 3): string[][] {
  const counts = Array.from({ length: k }, () => new Map<string, number>());
  const totals = new Array<number>(k).fill(0);
  for (let i = 0; i < texts.length; i++) {
    const c = clusterOf[i];
    for (const t of terms(texts[i])) {
      counts[c].set(t, (counts[c].get(t) ?? 0) + 1);
      totals[c]++;
    }
  }
  const clustersWith = new Map<string, number>();
  for (const m of counts) for (const t of m.keys()) clustersWith.set(t, (clustersWith.get(t) ?? 0) + 1);
  return counts.map((m, c) => {
    const scored: { term: string; score: number }[] = [];
    for (const [term, n] of m) {
      const idf = Math.log((1 + k) / (1 + clustersWith.get(term)!));
      scored.push({ term, score: (n / Math.max(1, totals[c])) * idf });
    }
    scored.sort((a, b) => b.score - a.score || m.get(b.term)! - m.get(a.term)! || a.term.localeCompare(b.term));
    return scored
      .filter((s) => s.score > 0)
      .slice(0, top)
      .map((s) => s.term);
  });
}
