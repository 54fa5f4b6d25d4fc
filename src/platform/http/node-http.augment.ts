/**
 * What the platform adds to Node's request and response: the request id (set by the request
 * edge, read by the problem filter, SSE and security events) and the error a 5xx answer hides
 * (set by the problem filter, logged with its stack by the completion line). Typed alike to
 * pino-http's declarations of the same fields, so the two merge where both are compiled.
 */
declare module 'http' {
  interface IncomingMessage {
    id: number | string | object;
  }
  interface ServerResponse {
    err?: Error | undefined;
  }
}

export {};
