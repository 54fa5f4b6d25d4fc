import { Injectable } from '@nestjs/common';
import type { ProblemDetails } from './problem-details';

/** How a family of routes writes its errors instead of problem+json (a drop-in API's own format). */
export interface ErrorDialect {
  /** Whether a request path (no query string) belongs to the family. */
  matches(path: string): boolean;
  /** The JSON body for a problem, in the dialect. */
  body(problem: ProblemDetails): unknown;
}

/**
 * Error dialects by request path, for answers given before a route's own exception filter can
 * run: a path parameter Express cannot decode, an unknown route under the family's prefix, an
 * over-long URL. Routes register their filter's dialect here too (drop-in surfaces); the platform
 * filter then writes such early errors in the same dialect. Empty: problem+json everywhere.
 */
@Injectable()
export class ErrorDialects {
  private readonly dialects: ErrorDialect[] = [];

  /** Adds a dialect; the first registered that matches a path wins. */
  register(dialect: ErrorDialect): void {
    this.dialects.push(dialect);
  }

  /** The dialect for a path, if any. */
  forPath(path: string): ErrorDialect | undefined {
    for (const d of this.dialects) if (d.matches(path)) return d;
    return undefined;
  }
}
