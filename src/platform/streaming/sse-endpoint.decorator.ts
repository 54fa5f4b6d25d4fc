import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces } from '@nestjs/swagger';

/**
 * Documents a route as an SSE stream (`text/event-stream`) and the `Last-Event-ID` header.
 * Use with `@Res()` and `return this.sse.stream(...)` / `this.sse.topic(...)`.
 */
export function SseEndpoint(description = 'Server-Sent Events; ends with a `done` or `error` event') {
  return applyDecorators(
    ApiProduces('text/event-stream'),
    ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' }),
    ApiOkResponse({ description, content: { 'text/event-stream': { schema: { type: 'string' } } } }),
  );
}
