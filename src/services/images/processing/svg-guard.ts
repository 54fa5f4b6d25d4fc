/**
 * Why an SVG must not be rasterised, or undefined when it is self-contained. The renderer
 * (librsvg) would otherwise be asked to fetch files or URLs on the server's behalf (SSRF, local
 * file disclosure) or to expand entities (XXE, "billion laughs"). Only same-document references
 * (`#id`) and `data:` URIs are allowed. Hand-written: a full XML parse is not needed to find
 * every place a reference can hide, and being stricter than needed is the safe side.
 */
export function svgExternalReference(svg: string): string | undefined {
  if (/<!ENTITY/i.test(svg)) return 'an entity declaration (<!ENTITY)';
  if (/<!DOCTYPE[^>]*\b(SYSTEM|PUBLIC)\b/i.test(svg)) return 'an external DTD (<!DOCTYPE … SYSTEM/PUBLIC)';
  if (/<\?xml-stylesheet/i.test(svg)) return 'an external stylesheet (<?xml-stylesheet)';
  if (/@import/i.test(svg)) return 'a stylesheet import (@import)';
  if (/<(foreignObject|script|iframe)\b/i.test(svg))
    return 'embedded active content (<foreignObject>, <script> or <iframe>)';
  for (const m of svg.matchAll(/(?:^|[\s"'])((?:xlink:)?href|src)\s*=\s*(["'])(.*?)\2/gis)) {
    if (!isLocal(m[3])) return `an external reference (${m[1]}="${truncate(m[3])}")`;
  }
  for (const m of svg.matchAll(/url\(\s*(["']?)(.*?)\1\s*\)/gis)) {
    if (!isLocal(m[2])) return `an external reference (url(${truncate(m[2])}))`;
  }
  return undefined;
}

const isLocal = (ref: string) => {
  const r = ref.trim();
  return r.startsWith('#') || /^data:/i.test(r);
};
const truncate = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** Whether text looks like an SVG document (file-type does not detect text formats). */
export function looksLikeSvg(head: string): boolean {
  const text = head.replace(/^\uFEFF/, '').replace(/<!--[\s\S]*?-->/g, '');
  return /^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE\s+svg[^>]*>\s*)?<svg[\s>]/i.test(text);
}
