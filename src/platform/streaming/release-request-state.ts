import type { IncomingMessage, ServerResponse } from 'node:http';
import { OUT_HEADERS } from '../http/outgoing-headers';

/**
 * Drops per-request state that Node and Express keep for as long as a response is open, which an
 * SSE stream no longer needs once its headers are sent and its handler has returned. With
 * thousands of open streams this state is a large part of what each one costs (bench:sse; heap
 * snapshots of 2,000 open streams against none, after a full GC):
 *
 * - the header block Node keeps (`_header`) is the rope its `+=` built, about four string objects
 *   per header line (≈ 2 KB with the platform's security headers). A regular-expression scan
 *   makes V8 flatten it in place into one string: the same value, ≈ 1.5 KB less;
 * - the outgoing-header map `setHeader` filled (security headers, request id, CORS) is read only
 *   by `getHeader()` and its siblings once the block is rendered. `null` is the state Node itself
 *   leaves when every header is given to `writeHead`, and those getters handle it: ≈ 1.9 KB less;
 * - Express's `req.next` keeps the router's iteration closure (its position in the layer stack,
 *   the final handler) reachable; nothing calls it once the handler has returned: ≈ 0.8 KB less.
 *
 * Call only after the headers and the first chunk have been written. What a stream ends with
 * (completion log line, metrics by route template and status) reads none of this.
 */
export function releaseRequestState(req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent) return;
  const header = (res as { _header?: unknown })._header;
  if (typeof header === 'string') /^/.test(header);
  if (OUT_HEADERS !== null) (res as unknown as Record<symbol, unknown>)[OUT_HEADERS] = null;
  if ('next' in req) (req as { next?: unknown }).next = undefined;
}
