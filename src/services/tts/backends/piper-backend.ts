import type { UpstreamPool, UpstreamResponse } from '../../../platform/upstream';
import { TtsOptionUnsupportedError } from '../tts.errors';
import { RemoteSpeechBackend } from './remote-backend';
import type { SynthesisRequest } from './speech-backend';

/**
 * Piper's HTTP server (`python3 -m piper.http_server -m VOICE`): `POST /` with the text as the
 * UTF-8 body answers a WAV. One voice per server, and its speed (`--length-scale`) is fixed when
 * it starts, so a request for another speed is refused rather than answered at the wrong speed.
 */
export class PiperBackend extends RemoteSpeechBackend {
  readonly kind = 'piper' as const;
  protected readonly probePath = '/';

  checkOptions(options: { speed: number }): void {
    if (options.speed !== 1) {
      throw new TtsOptionUnsupportedError(
        'Piper voices speak at the speed their server was started with: speed must be 1.0 for this model',
        { fieldErrors: [{ field: 'speed', message: 'must be 1.0 for a Piper voice' }] },
      );
    }
  }

  protected call(pool: UpstreamPool, req: SynthesisRequest): Promise<UpstreamResponse> {
    return pool.request({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: req.text,
      idempotent: true,
      signal: req.signal,
      requestId: req.requestId,
    });
  }
}
