import type { Request } from 'express';

/** Label used for requests that matched no route (so raw paths never become label values). */
export const UNMATCHED_ROUTE = '<unmatched>';

/**
 * The route template a request matched (`/v1/rag/documents/:id`), never the raw path, so ids in
 * URLs cannot explode metric cardinality.
 */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  // Catch-all middleware mounts (`{/*splat}`) also set req.route; they are not a matched route.
  return typeof path === 'string' && !path.includes('*splat') ? req.baseUrl + path : UNMATCHED_ROUTE;
}
