import type { ComfyFileRef } from '../comfy.types';

/** What happens to one prompt, as the tracker hands it to the job that submitted it. */
export type PromptEvent =
  | { kind: 'started' }
  | { kind: 'cached'; nodes: string[] }
  | { kind: 'executing'; node: string }
  | { kind: 'progress'; node?: string; value: number; max: number }
  | { kind: 'executed'; node: string; images: ComfyFileRef[] }
  | { kind: 'preview'; image: Buffer; mime: string }
  /** `executing` with `node: null`, or found finished in the history after a reconnect. */
  | { kind: 'done' }
  | { kind: 'failed'; node?: string; nodeType?: string; message: string }
  | { kind: 'interrupted' }
  /** The server stayed unreachable longer than COMFY_INSTANCE_LOST_MS. */
  | { kind: 'lost' };

/**
 * A queue of one prompt's events that a job reads with `for await`; events that arrive before the
 * reader waits are kept (a fast server can finish before the submit call returned).
 */
export class PromptEventQueue {
  private readonly buffered: PromptEvent[] = [];
  private waiting?: (event: PromptEvent) => void;

  push(event: PromptEvent): void {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting(event);
    } else this.buffered.push(event);
  }

  next(signal: AbortSignal): Promise<PromptEvent> {
    const first = this.buffered.shift();
    if (first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiting = undefined;
        reject(signal.reason as Error);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting = (event) => {
        signal.removeEventListener('abort', onAbort);
        resolve(event);
      };
    });
  }
}
