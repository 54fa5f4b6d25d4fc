/** A tag as a model may give it: a string, or an object with a name and a confidence. */
export type RawTag = string | { tag?: unknown; name?: unknown; confidence?: unknown };

/**
 * Normalises tags for training-set tools: lower case, underscores and runs of spaces as one space,
 * surrounding punctuation and `#` removed, duplicates merged (keeping the highest confidence),
 * sorted by confidence (highest first) when any was given, else in the model's order.
 */
export function normalizeTags(raw: RawTag[], max: number): { tag: string; confidence?: number }[] {
  const byTag = new Map<string, { tag: string; confidence?: number; order: number }>();
  raw.forEach((r, order) => {
    const name =
      typeof r === 'string' ? r : typeof r?.tag === 'string' ? r.tag : typeof r?.name === 'string' ? r.name : '';
    const tag = name
      .toLowerCase()
      .replace(/_/g, ' ')
      .replace(/\s+/g, ' ')
      .replace(/^[\s#"'.,;:!?()[\]-]+|[\s"'.,;:!?()[\]-]+$/g, '');
    if (tag === '') return;
    const c =
      typeof r === 'object' && typeof r?.confidence === 'number' && Number.isFinite(r.confidence)
        ? r.confidence
        : undefined;
    const seen = byTag.get(tag);
    if (!seen) byTag.set(tag, { tag, confidence: c, order });
    else if (c !== undefined && (seen.confidence === undefined || c > seen.confidence)) seen.confidence = c;
  });
  const tags = [...byTag.values()];
  if (tags.some((t) => t.confidence !== undefined)) {
    tags.sort((a, b) => (b.confidence ?? -1) - (a.confidence ?? -1) || a.order - b.order);
  }
  return tags.slice(0, max).map(({ tag, confidence }) => (confidence === undefined ? { tag } : { tag, confidence }));
}

/** The tags of a structured answer (`{"tags": [...]}` or a bare list); undefined when it is not JSON of that shape. */
export function parseTags(content: string): RawTag[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return undefined;
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { tags?: unknown })?.tags;
  return Array.isArray(list) ? (list as RawTag[]) : undefined;
}
