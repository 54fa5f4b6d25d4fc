import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { contextOf, runInContext } from '../context/request-context';
import { UnsupportedMediaTypeError } from '../errors';
import { fromBodyParserError } from '../errors/body-parser-errors';
import { httpConfig, type HttpConfig } from './http.config';
import { isBlank, type JsonLimits, parseJsonText } from './json-text';
import { isJsonMediaType, markNonJsonMediaType, mediaTypeOf, notAJsonObject, UnusableBody } from './request-body';

/**
 * Reads every request body (within `HTTP_BODY_LIMIT`, decoded per its charset and content
 * encoding) and parses it as JSON within `HTTP_JSON_MAX_DEPTH` / `HTTP_JSON_MAX_KEYS`, as one
 * Nest middleware. Mounted through Nest (not by NestFactory) so it runs after the request edge
 * has assigned the request id, in the request's context.
 *
 * It never answers by itself (except for a client that aborted mid-body). `req.body` becomes:
 * - the parsed value, when the body parses (marked with its media type when it was not sent as
 *   JSON, so native routes can answer 415 while the drop-in surfaces take it as Ollama does);
 * - an {@link UnusableBody} carrying the error to answer, when it does not (malformed, too deep,
 *   too large, unsupported charset or encoding);
 * - `undefined` without a body, or with an empty one.
 * The route then answers: `@Body()` through the validation pipe, the drop-in surfaces through
 * `jsonObjectBody`, each in its own error dialect; routes that take no body ignore it.
 *
 * Bodies in file media types (multipart, octet-stream, image, audio, video) are left unread for
 * the route that streams them; `req.body` then says 415 to any route that takes JSON.
 *
 * Skipped outright for requests without a body (most GETs); the request context is entered
 * again after a body was read: the parser calls back from the socket's stream events, outside
 * the context the request edge entered.
 */
@Injectable()
export class BodyParserMiddleware implements NestMiddleware {
  private readonly read: RequestHandler;
  private readonly limits: JsonLimits;

  constructor(@Inject(httpConfig.KEY) config: HttpConfig) {
    // body-parser's text reader: size limit, charset decoding, inflating, aborted requests. Any
    // media type is read, so that what is done with it is the route's decision.
    this.read = express.text({ limit: config.bodyLimit, type: () => true, defaultCharset: 'utf-8' });
    this.limits = { maxDepth: config.jsonMaxDepth, maxKeys: config.jsonMaxKeys };
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!hasBody(req)) return next();
    const media = mediaTypeOf(req.headers['content-type']);
    if (media !== undefined && isStreamedMediaType(media)) {
      // Left unread for the route that streams it (uploads: busboy writes multipart parts to disk
      // as they arrive); a route that takes JSON answers 415 for it, as for any non-JSON body.
      req.body = new UnusableBody(
        new UnsupportedMediaTypeError(`Request body was sent as ${media.slice(0, 64)}; this route takes JSON`),
        media,
      );
      return next();
    }
    this.read(req, res, (err?: unknown) => {
      const contentType = req.headers['content-type'];
      const nonJson = isJsonMediaType(contentType) ? undefined : (mediaTypeOf(contentType) ?? '');
      if (err) {
        const problem = fromBodyParserError(err);
        // A client that went away mid-body gets no route run on its behalf.
        if (!problem || (err as { type?: unknown }).type === 'request.aborted') return next(problem ?? err);
        req.body = new UnusableBody(problem, nonJson);
      } else {
        req.body = this.decode(req.body as unknown, nonJson);
      }
      const ctx = contextOf(req);
      if (ctx) runInContext(ctx, next);
      else next();
    });
  }

  private decode(text: unknown, nonJson: string | undefined): unknown {
    if (typeof text !== 'string' || isBlank(text)) return undefined;
    const parsed = parseJsonText(text, this.limits);
    if (!parsed.ok) return new UnusableBody(parsed.error, nonJson);
    const value = parsed.value;
    if (nonJson === undefined) return value;
    // A scalar cannot carry the mark; it is no JSON object either way.
    if (typeof value !== 'object' || value === null) return new UnusableBody(notAJsonObject(value), nonJson);
    markNonJsonMediaType(value, nonJson);
    return value;
  }
}

/** Media types whose bodies are files, streamed by the routes that take them, never buffered here. */
function isStreamedMediaType(media: string): boolean {
  return (
    media.startsWith('multipart/') ||
    media === 'application/octet-stream' ||
    media.startsWith('image/') ||
    media.startsWith('audio/') ||
    media.startsWith('video/')
  );
}

/** RFC 9112 §6.3: a request has a body when it says so by Transfer-Encoding or Content-Length. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}
