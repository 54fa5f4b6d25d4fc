import { Logger } from '@nestjs/common';
import { FennecError, problemFor } from '../../platform/errors';
import { type SseMessage, SseTerminalProblem, sseEvent } from '../../platform/streaming';
import { openAiError } from '../llm';
import { PCM_SAMPLE_RATE } from './audio/audio-formats';
import { type AudioQualityReport, QualityMeter } from './audio/audio-quality';
import { pcmBytes, resampleLinear, streamingWavHeader } from './audio/pcm';
import type { SpeechPlan } from './speech-plan';
import type { TtsService } from './tts.service';

/** Largest audio payload of one `speech.audio.delta` (before base64), so players get it in small pieces. */
export const SSE_DELTA_BYTES = 32 * 1024;

/** OpenAI's `speech.audio.delta`: a piece of the file, base64; the pieces in order are the file. */
export interface SpeechAudioDelta {
  type: 'speech.audio.delta';
  audio: string;
}

/** OpenAI's `speech.audio.done`, the data of the stream's terminal event; `quality` is Fennec's. */
export interface SpeechAudioDone {
  type: 'speech.audio.done';
  /**
   * OpenAI bills speech by tokens; the backends here (espeak-ng, Piper, Kokoro-style servers)
   * count none, so all three are 0, as a client summing its bill should see.
   */
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  quality?: AudioQualityReport;
  durationSeconds?: number;
}

/**
 * The plan's file as byte pieces in order, each as soon as it is final: wav (streaming header)
 * and pcm by sentence chunk; the ffmpeg formats as the checked file once it is encoded. `done`
 * gets the quality report and duration before the last piece is returned.
 */
export async function* speechFileBytes(
  tts: TtsService,
  plan: SpeechPlan,
  done: SpeechAudioDone,
): AsyncGenerator<Buffer> {
  if (plan.format !== 'wav' && plan.format !== 'pcm') {
    const file = await tts.render(plan);
    done.quality = file.quality;
    done.durationSeconds = Number(file.facts.durationSeconds.toFixed(3));
    for (let at = 0; at < file.bytes.length; at += SSE_DELTA_BYTES) yield file.bytes.subarray(at, at + SSE_DELTA_BYTES);
    return;
  }
  let meter: QualityMeter | undefined;
  let samples = 0;
  let rate = 0;
  for await (const piece of tts.pcmPieces(plan)) {
    let header: Buffer | undefined;
    if (meter === undefined) {
      rate = piece.sampleRate;
      meter = new QualityMeter(rate);
      if (plan.format === 'wav') header = streamingWavHeader(rate);
    }
    meter.add(piece.samples);
    samples += piece.samples.length;
    const pcm =
      plan.format === 'pcm' ? pcmBytes(resampleLinear(piece.samples, rate, PCM_SAMPLE_RATE)) : pcmBytes(piece.samples);
    const bytes = header ? Buffer.concat([header, pcm]) : pcm;
    for (let at = 0; at < bytes.length; at += SSE_DELTA_BYTES) yield bytes.subarray(at, at + SSE_DELTA_BYTES);
  }
  if (meter) {
    done.quality = tts.recordQuality(plan, meter.report({ text: plan.text, speed: plan.speed }));
    done.durationSeconds = Number((samples / rate).toFixed(3));
  }
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
