/** One event a controller emits: `event` names its type, `data` is serialised as JSON. */
export interface SseMessage<T = unknown> {
  /** Default `message`. Reserved for the toolkit: `done`, `error`, `gap`, `reset`. */
  event?: string;
  data: T;
  /** The event's own id; used only by streams opened with `{ resumable: true }`. */
  id?: string;
}

/** Shorthand for a typed event: `yield sseEvent('token', { text })`. */
export function sseEvent<T>(event: string, data: T): SseMessage<T> {
  return { event, data };
}

/**
 * Serialises one event. JSON.stringify never emits raw newlines, so `data` is always one line;
 * `event` is sanitised because a newline there would end the frame early.
 */
export function formatSseFrame(id: string, event: string, data: unknown): string {
  const name = event.replace(/[\r\n]/g, '');
  return `id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data ?? null)}\n\n`;
}
