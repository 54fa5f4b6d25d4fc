import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problemType } from '../errors/problem-details';

interface ParserError extends Error {
  code?: string;
}

/** Node's parser codes for requests too large to parse, and what they become. */
const TOO_LARGE: Record<string, { status: number; title: string; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    title: 'Request Header Fields Too Large',
    code: 'REQUEST.HEADERS_TOO_LARGE',
    detail: 'Request headers exceed the server limit',
  },
  HPE_URI_TOO_LONG: {
    status: 414,
    title: 'URI Too Long',
    code: 'REQUEST.URI_TOO_LONG',
    detail: 'Request URL exceeds the server limit',
  },
};

/**
 * Requests Node's HTTP parser rejects never reach Express (oversized headers, malformed request
 * lines). Node would answer them with a bare status line; this answers with the same
 * problem+json every other error gets, then closes the socket.
 */
export function answerClientErrorsWithProblems(server: Server): void {
  server.on('clientError', (err: ParserError, socket: Duplex) => {
    if (!socket.writable || (err.code === 'ECONNRESET' && socket.destroyed)) {
      socket.destroy();
      return;
    }
    const known = TOO_LARGE[err.code ?? ''];
    const status = known?.status ?? 400;
    const code = known?.code ?? 'REQUEST.MALFORMED';
    const requestId = randomUUID();
    const body = JSON.stringify({
      type: problemType(code),
      title: known?.title ?? 'Bad Request',
      status,
      detail: known?.detail ?? 'The request could not be parsed as HTTP',
      instance: '',
      code,
      requestId,
    });
    socket.end(
      `HTTP/1.1 ${status} ${known?.title ?? 'Bad Request'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
