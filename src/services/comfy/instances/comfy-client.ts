import type { UpstreamPool, UpstreamResponse } from '../../../platform/upstream';
import { ComfyBadResponseError, ComfyInvalidWorkflowError } from '../comfy.errors';
import type {
  ApiWorkflow,
  ComfyFileRef,
  ComfyNodeErrors,
  HistoryEntry,
  ObjectInfo,
  PromptAccepted,
  PromptRejected,
  QueueState,
} from '../comfy.types';
import type { WorkflowIssue } from '../workflow/workflow-validator';

/** Per call: pin to an instance (affinity), and the caller's abort signal. */
export interface CallOptions {
  instance?: string;
  signal?: AbortSignal;
}

/** ComfyUI's `node_errors` as Fennec's issues: one per error, naming node, class and input. */
export function nodeErrorIssues(nodeErrors: ComfyNodeErrors): WorkflowIssue[] {
  return Object.entries(nodeErrors).flatMap(([node, entry]) =>
    (entry.errors ?? []).map((e) => ({
      node,
      classType: entry.class_type,
      input: e.extra_info?.input_name,
      type: e.type,
      message: `Node ${node} (${entry.class_type})${e.extra_info?.input_name ? ` input ${e.extra_info.input_name}` : ''}: ${e.message}${e.details ? `: ${e.details}` : ''}`,
    })),
  );
}

/**
 * ComfyUI's HTTP API (server.py routes) over the upstream pool. Calls without `instance` are
 * balanced; calls about a prompt name the instance that accepted it.
 */
export class ComfyClient {
  constructor(
    private readonly pool: UpstreamPool,
    private readonly timeoutMs: number,
  ) {}

  /** `POST /prompt`; a 400 becomes COMFY.INVALID_WORKFLOW listing ComfyUI's node errors. */
  async submit(
    prompt: ApiWorkflow,
    clientId: string,
    promptId: string,
    opts: CallOptions = {},
  ): Promise<{ instance: string; number: number }> {
    const res = await this.call('POST', '/prompt', { prompt, client_id: clientId, prompt_id: promptId }, opts);
    if (res.status === 400) {
      const body = await this.json<PromptRejected>(res);
      const issues = nodeErrorIssues(body.node_errors ?? {});
      const error = body.error ?? { type: 'invalid_prompt', message: 'rejected', details: '' };
      if (issues.length === 0) {
        issues.push({
          node: '*',
          type: error.type,
          message: `${error.message}${error.details ? `: ${error.details}` : ''}`,
        });
      }
      throw new ComfyInvalidWorkflowError(`ComfyUI rejected the workflow (${error.type}): ${error.message}`, issues);
    }
    const body = await this.ok<PromptAccepted>(res, '/prompt');
    if (body.prompt_id !== promptId)
      throw new ComfyBadResponseError('ComfyUI answered another prompt id than the one sent');
    return { instance: res.instance, number: body.number };
  }

  async objectInfo(opts: CallOptions = {}): Promise<{ instance: string; info: ObjectInfo }> {
    const res = await this.call('GET', '/object_info', undefined, opts);
    return { instance: res.instance, info: await this.ok<ObjectInfo>(res, '/object_info') };
  }

  /** The prompt's history entry, or undefined while it has none (queued, running, unknown). */
  async history(promptId: string, opts: CallOptions): Promise<HistoryEntry | undefined> {
    const res = await this.call('GET', `/history/${encodeURIComponent(promptId)}`, undefined, opts);
    const body = await this.ok<Record<string, HistoryEntry>>(res, '/history');
    return body[promptId];
  }

  async queue(opts: CallOptions): Promise<QueueState> {
    const res = await this.call('GET', '/queue', undefined, opts);
    return this.ok<QueueState>(res, '/queue');
  }

  /** `POST /queue { delete }`: removes pending prompts only; the running one is never touched. */
  async deleteQueued(promptIds: string[], opts: CallOptions): Promise<void> {
    await this.empty(await this.call('POST', '/queue', { delete: promptIds }, opts), '/queue');
  }

  /** `POST /interrupt { prompt_id }`: ComfyUI interrupts only if that prompt is the one running. */
  async interrupt(promptId: string, opts: CallOptions): Promise<void> {
    await this.empty(await this.call('POST', '/interrupt', { prompt_id: promptId }, opts), '/interrupt');
  }

  /** `GET /view`: an output file's bytes. */
  async view(ref: ComfyFileRef, opts: CallOptions): Promise<Buffer> {
    const q = new URLSearchParams({
      filename: ref.filename,
      subfolder: ref.subfolder ?? '',
      type: ref.type ?? 'output',
    });
    const res = await this.call('GET', `/view?${q.toString()}`, undefined, opts);
    if (res.status !== 200) {
      await res.cancel();
      throw new ComfyBadResponseError(`ComfyUI /view answered ${res.status} for an output of the prompt`);
    }
    const parts: Uint8Array[] = [];
    for await (const chunk of res.chunks()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /** `POST /upload/image` (multipart): an input image; returns the name to put in LoadImage. */
  async upload(bytes: Buffer, filename: string, opts: CallOptions): Promise<{ instance: string; name: string }> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(bytes)]), filename);
    form.append('type', 'input');
    form.append('overwrite', 'false');
    const req = new Request('http://form.invalid/', { method: 'POST', body: form });
    const body = Buffer.from(await req.arrayBuffer());
    const res = await this.call('POST', '/upload/image', body, opts, {
      'content-type': req.headers.get('content-type') ?? 'multipart/form-data',
    });
    const answer = await this.ok<{ name: string; subfolder: string; type: string }>(res, '/upload/image');
    const name = answer.subfolder ? `${answer.subfolder}/${answer.name}` : answer.name;
    return { instance: res.instance, name };
  }

  private call(
    method: string,
    path: string,
    body: unknown,
    opts: CallOptions,
    headers?: Record<string, string>,
  ): Promise<UpstreamResponse> {
    return this.pool.request({
      method,
      path,
      body,
      headers,
      instance: opts.instance,
      signal: opts.signal,
      timeouts: { firstByteMs: this.timeoutMs, totalMs: this.timeoutMs * 4 },
    });
  }

  private async ok<T>(res: UpstreamResponse, what: string): Promise<T> {
    if (res.status !== 200) {
      await res.cancel();
      throw new ComfyBadResponseError(`ComfyUI ${what} answered ${res.status}`);
    }
    return this.json<T>(res);
  }

  private async json<T>(res: UpstreamResponse): Promise<T> {
    try {
      return await res.json<T>();
    } catch (err) {
      throw new ComfyBadResponseError('ComfyUI answered a body that is not JSON', { cause: err });
    }
  }

  private async empty(res: UpstreamResponse, what: string): Promise<void> {
    await res.cancel();
    if (res.status !== 200) throw new ComfyBadResponseError(`ComfyUI ${what} answered ${res.status}`);
  }
}
