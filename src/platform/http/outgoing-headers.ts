import { OutgoingMessage, type ServerResponse, validateHeaderName } from 'node:http';

/**
 * Node's own key for a response's outgoing-header map (`kOutHeaders` in lib/_http_outgoing.js,
 * not exported), found once on a throwaway message; `null` if a Node version names it otherwise,
 * and callers then fall back to the public API. The map holds `lower-case name → [name, value]`
 * (null until the first header is set); `outgoing-headers.spec.ts` pins that shape on the Node
 * version the tests run on.
 */
export const OUT_HEADERS: symbol | null =
  Object.getOwnPropertySymbols(new OutgoingMessage()).find((s) => s.description === 'kOutHeaders') ?? null;

export type OutgoingHeaderMap = Record<string, [string, string | string[]]>;

/** The response's outgoing-header map, created if no header was set yet (as `setHeader` does). */
export function outgoingHeaderMap(res: object, key: symbol): OutgoingHeaderMap {
  const r = res as Record<symbol, OutgoingHeaderMap | null>;
  return (r[key] ??= Object.create(null) as OutgoingHeaderMap);
}

/**
 * Sets a header whose name was checked once (`validateHeaderName`) and whose value needs no
 * check (digits), without the per-call checks of `setHeader`. `field` is the lower-case name.
 * Where Node's map is not reachable, or the headers are sent already, `setHeader` does it (and
 * throws as usual in the second case).
 */
export function setCheckedHeader(res: ServerResponse, field: string, name: string, value: string): void {
  if (OUT_HEADERS === null || res.headersSent) res.setHeader(name, value);
  else outgoingHeaderMap(res, OUT_HEADERS)[field] = [name, value];
}

/** `[lower-case field, name]` of a header name checked once, as `setHeader` would check it. */
export function checkedField(name: string): [string, string] {
  validateHeaderName(name);
  return [name.toLowerCase(), name];
}
