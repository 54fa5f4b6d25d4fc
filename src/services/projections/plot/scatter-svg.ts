/** Tableau's 20 categorical colours: distinguishable, colour-blind friendlier than a hue wheel. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const UNCLUSTERED = '#4e79a7';

export interface ScatterInput {
  title: string;
  subtitle?: string;
  points: { x: number; y: number; cluster?: number }[];
  clusters?: { id: number; size: number; terms: string[] }[];
  width?: number;
  height?: number;
}

/** Text for SVG character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

/**
 * A scatter plot as SVG: points coloured by cluster, each cluster's terms written at its centre,
 * a legend, a title. Hand-written: a few dozen lines of markup, where a charting library would
 * need a DOM (d3, Vega) or a browser to render server-side.
 */
export function scatterSvg(input: ScatterInput): string {
  const width = input.width ?? 960;
  const height = input.height ?? 720;
  const clusters = input.clusters ?? [];
  const legendWidth = clusters.length > 0 ? 260 : 0;
  const top = input.subtitle ? 70 : 50;
  const pad = 20;
  const area = { x: pad, y: top, w: width - legendWidth - 2 * pad, h: height - top - pad };
  const xs = input.points.map((p) => p.x);
  const ys = input.points.map((p) => p.y);
  const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
  const [minY, maxY] = [Math.min(...ys), Math.max(...ys)];
  // Points are kept `inset` inside the frame so none sits on it, and labels stay readable.
  const inset = 24;
  const inner = { x: area.x + inset, y: area.y + inset, w: area.w - 2 * inset, h: area.h - 2 * inset };
  const sx = (v: number) => inner.x + (maxX > minX ? ((v - minX) / (maxX - minX)) * inner.w : inner.w / 2);
  // SVG's y grows downwards; the plot's upwards.
  const sy = (v: number) => inner.y + inner.h - (maxY > minY ? ((v - minY) / (maxY - minY)) * inner.h : inner.h / 2);
  const clampX = (v: number) => Math.min(Math.max(v, area.x + 70), area.x + area.w - 70);
  const colour = (c?: number) => (c === undefined ? UNCLUSTERED : PALETTE[c % PALETTE.length]);
  const radius = input.points.length > 5_000 ? 1.5 : input.points.length > 1_000 ? 2.5 : 4;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${pad}" y="32" font-size="20" font-weight="bold" fill="#222">${escapeXml(input.title)}</text>`,
  );
  if (input.subtitle)
    out.push(`<text x="${pad}" y="56" font-size="13" fill="#555">${escapeXml(input.subtitle)}</text>`);
  out.push(
    `<rect x="${area.x}" y="${area.y}" width="${area.w}" height="${area.h}" fill="none" stroke="#ddd"/>`,
    `<g fill-opacity="0.75">`,
  );
  for (const p of input.points)
    out.push(`<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="${radius}" fill="${colour(p.cluster)}"/>`);
  out.push('</g>');
  for (const c of clusters) {
    const members = input.points.filter((p) => p.cluster === c.id);
    if (members.length === 0 || c.terms.length === 0) continue;
    const cx = clampX(sx(members.reduce((s, p) => s + p.x, 0) / members.length));
    const cy = Math.max(sy(members.reduce((s, p) => s + p.y, 0) / members.length), area.y + 16);
    out.push(
      `<text x="${fmt(cx)}" y="${fmt(cy)}" font-size="13" font-weight="bold" text-anchor="middle" fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke">${escapeXml(c.terms.slice(0, 2).join(', '))}</text>`,
    );
  }
  if (clusters.length > 0) {
    const lx = width - legendWidth;
    out.push(`<text x="${lx}" y="${top + 4}" font-size="14" font-weight="bold" fill="#222">Clusters</text>`);
    clusters.forEach((c, i) => {
      const y = top + 26 + i * 22;
      const label = `${c.terms.join(', ') || `cluster ${c.id}`} (${c.size})`;
      out.push(
        `<circle cx="${lx + 7}" cy="${y - 4}" r="6" fill="${colour(c.id)}"/>`,
        `<text x="${lx + 20}" y="${y}" font-size="12" fill="#333">${escapeXml(label.length > 34 ? `${label.slice(0, 33)}…` : label)}</text>`,
      );
    });
  }
  out.push('</svg>');
  return out.join('\n');
}
