import type { ComfyWsMessage } from '../comfy.types';
import { type PromptEvent, PromptEventQueue } from './prompt-events';

interface Watch {
  queue: PromptEventQueue;
  /** Set once the server accepted the prompt. */
  instance?: string;
}

/**
 * Routes the WebSocket messages of every server to the job whose prompt they are about (by
 * `prompt_id`), and knows which prompt each server is running (binary previews carry no id).
 */
export class PromptTracker {
  private readonly watches = new Map<string, Watch>();
  private readonly running = new Map<string, string>();

  /** Starts collecting a prompt's events; call before submitting it, so none is missed. */
  watch(promptId: string): PromptEventQueue {
    const queue = new PromptEventQueue();
    this.watches.set(promptId, { queue });
    return queue;
  }

  accepted(promptId: string, instance: string): void {
    const w = this.watches.get(promptId);
    if (w) w.instance = instance;
  }

  unwatch(promptId: string): void {
    this.watches.delete(promptId);
  }

  /** Prompt ids watched on one instance. */
  promptsOn(instance: string): string[] {
    return [...this.watches].filter(([, w]) => w.instance === instance).map(([id]) => id);
  }

  emit(promptId: string, event: PromptEvent): void {
    this.watches.get(promptId)?.queue.push(event);
  }

  /** The prompt a server is running now, per its last `execution_start`/`executing`. */
  runningOn(instance: string): string | undefined {
    return this.running.get(instance);
  }

  onPreview(instance: string, image: Buffer, mime: string): void {
    const promptId = this.running.get(instance);
    if (promptId) this.emit(promptId, { kind: 'preview', image, mime });
  }

  /** execution.py and main.py messages → events; `executing` with `node: null` ends a prompt. */
  onMessage(instance: string, message: ComfyWsMessage): void {
    switch (message.type) {
      case 'status':
      case 'execution_success':
        return;
      case 'execution_start':
        this.running.set(instance, message.data.prompt_id);
        return this.emit(message.data.prompt_id, { kind: 'started' });
      case 'execution_cached':
        return this.emit(message.data.prompt_id, { kind: 'cached', nodes: message.data.nodes ?? [] });
      case 'executing': {
        const id = message.data.prompt_id ?? this.running.get(instance);
        if (id === undefined) return;
        if (message.data.node === null) {
          if (this.running.get(instance) === id) this.running.delete(instance);
          return this.emit(id, { kind: 'done' });
        }
        this.running.set(instance, id);
        return this.emit(id, { kind: 'executing', node: message.data.node });
      }
      case 'progress': {
        const id = message.data.prompt_id ?? this.running.get(instance);
        if (id === undefined) return;
        return this.emit(id, {
          kind: 'progress',
          node: message.data.node,
          value: message.data.value,
          max: message.data.max,
        });
      }
      case 'executed':
        return this.emit(message.data.prompt_id, {
          kind: 'executed',
          node: message.data.node,
          images: message.data.output?.images ?? [],
        });
      case 'execution_error':
        return this.emit(message.data.prompt_id, {
          kind: 'failed',
          node: message.data.node_id,
          nodeType: message.data.node_type,
          message: message.data.exception_message,
        });
      case 'execution_interrupted':
        return this.emit(message.data.prompt_id, { kind: 'interrupted' });
      default:
        return; // feature_flags, progress_state, crystools… : not needed
    }
  }

  /** An instance went away: what it was running is no longer known to be running. */
  forget(instance: string): void {
    this.running.delete(instance);
  }
}
