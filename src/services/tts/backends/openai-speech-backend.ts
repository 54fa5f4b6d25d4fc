import type { UpstreamPool, UpstreamPools, UpstreamResponse } from '../../../platform/upstream';
import { RemoteSpeechBackend, type RemoteBackendOptions } from './remote-backend';
import type { SynthesisRequest } from './speech-backend';

/**
 * Servers that speak OpenAI's `POST /v1/audio/speech` themselves (Kokoro-FastAPI,
 * openedai-speech). Asked for WAV, so the answer can be checked and decoded here, whatever format
 * the caller wants.
 */
export class OpenAiSpeechBackend extends RemoteSpeechBackend {
  readonly kind = 'openai' as const;
  /** Kokoro-FastAPI lists its voices here (`{"voices": [...]}`); others answer 404, which still shows they are up. */
  protected readonly probePath = '/v1/audio/voices';

  protected override voicesFrom(body: unknown): string[] {
    const list = (body as { voices?: unknown } | null)?.voices;
    if (!Array.isArray(list)) return [];
    return list
      .map((v: unknown) =>
        typeof v === 'string' ? v : ((v as { id?: unknown; name?: unknown })?.id ?? (v as { name?: unknown })?.name),
      )
      .filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 100);
  }

  constructor(
    options: RemoteBackendOptions,
    pools: UpstreamPools,
    /** The `model` sent upstream (e.g. `kokoro`, `tts-1`). */
    private readonly upstreamModel: string,
  ) {
    super(options, pools);
  }

  checkOptions(): void {
    // The upstream takes OpenAI's speed range itself.
  }

  protected call(pool: UpstreamPool, req: SynthesisRequest): Promise<UpstreamResponse> {
    return pool.request({
      method: 'POST',
      path: '/v1/audio/speech',
      body: { model: this.upstreamModel, input: req.text, voice: req.voice, response_format: 'wav', speed: req.speed },
      // Synthesis changes nothing upstream: a failed call may go to another instance.
      idempotent: true,
      signal: req.signal,
      requestId: req.requestId,
    });
  }
}
