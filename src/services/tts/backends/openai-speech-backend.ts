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
  protected readonly probePath = '/v1/models';

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
