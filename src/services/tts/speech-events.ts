import { Logger } from '@nestjs/common';
import { FennecError, problemFor } from '../../platform/errors';
import { type SseMessage, SseTerminalProblem, sseEvent } from '../../platform/streaming';
import { openAiError } from '../llm';
import type { StreamedFileFacts } from './speech-file-stream';

/** OpenAI's `speech.audio.delta`: a piece of the file, base64; the pieces in order are the file. */
export interface SpeechAudioDelta {
  type: 'speech.audio.delta';
  audio: string;
}

/**
 * OpenAI's `speech.audio.done`, the data of the stream's terminal event; the facts of the file
 * (`sampleRate`, `durationSeconds`, the `quality` report) are Fennec's additions.
 */
export interface SpeechAudioDone extends StreamedFileFacts {
  type: 'speech.audio.done';
  /**
   * OpenAI bills speech by tokens; the backends here (espeak-ng, Piper, Kokoro-style servers)
   * count none, so all three are 0, as a client summing its bill should see.
   */
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
}

const logger = new Logger('tts');

/**
 * `speech.audio.delta` events of an iterator whose first piece was already read (so that a
 * failure of the first chunk is still an HTTP error). A later failure ends the stream with the
 * toolkit's `error` event: the problem object, with OpenAI's `error` object inside it, so that
 * clients of either dialect find what they look for.
 */
export async function* speechDeltas(
  first: IteratorResult<Buffer>,
  rest: AsyncIterator<Buffer>,
): AsyncGenerator<SseMessage<SpeechAudioDelta>> {
  const delta = (b: Buffer) =>
    sseEvent('speech.audio.delta', { type: 'speech.audio.delta' as const, audio: b.toString('base64') });
  try {
    if (first.done) return;
    yield delta(first.value);
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield delta(next.value);
    }
  } catch (err) {
    if (!(err instanceof FennecError) || err.kind === 'internal') logger.error({ err }, 'speech stream failed');
    // problemFor maps a domain error by its kind and anything else to a generic 500.
    const problem = problemFor(err, { instance: '', requestId: '' });
    const { instance: _instance, requestId: _requestId, ...stored } = problem;
    // The toolkit spreads the problem into the event: OpenAI's `error` object travels with it.
    throw new SseTerminalProblem(Object.assign(stored, { error: openAiError(problem).error }));
  } finally {
    // The client left or the source failed: stop what is still being synthesised.
    void rest.return?.()?.catch(() => undefined);
  }
}
