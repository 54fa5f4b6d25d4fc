import { PCM_SAMPLE_RATE, type SpeechFormat } from './audio/audio-formats';
import { inspectAudio } from './audio/audio-inspector';
import { type AudioQualityReport, QualityMeter } from './audio/audio-quality';
import { type Pcm, pcmBytes, resampleLinear, streamingWavHeader } from './audio/pcm';
import type { SpeechPlan } from './speech-plan';
import type { TtsService } from './tts.service';

/** Largest piece of an SSE delta (before base64), so that clients get audio in small pieces. */
export const SSE_PIECE_BYTES = 32 * 1024;

/** Formats sent as each chunk is ready: in-process wav (streaming header) and pcm, and mp3 frames from ffmpeg. */
export const STREAMED_FORMATS: readonly SpeechFormat[] = ['wav', 'pcm', 'mp3'];

/** What a streamed file turned out to be, filled in as it is produced. */
export interface StreamedFileFacts {
  /** Set before the first piece is yielded. */
  sampleRate?: number;
  /** Set once the whole file was produced and checked. */
  quality?: AudioQualityReport;
  durationSeconds?: number;
}

function* piecesOf(bytes: Buffer, max: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += max) yield bytes.subarray(at, at + max);
}

/**
 * The plan's file as byte pieces in order, each as soon as it is final: wav, pcm and mp3 by
 * sentence chunk; opus, aac and flac as the checked file once it is encoded. Streamed mp3 is
 * checked (parsed, its duration against the PCM's) when it is complete: a bad one throws after
 * its last piece, so the caller breaks the transfer instead of finishing it. No piece is longer
 * than `maxPiece` bytes (a raw HTTP body takes a chunk's audio in one write: fewer waits for drain).
 */
export async function* speechFileBytes(
  tts: TtsService,
  plan: SpeechPlan,
  facts: StreamedFileFacts,
  maxPiece = Infinity,
): AsyncGenerator<Buffer> {
  const pieces = (bytes: Buffer) => piecesOf(bytes, maxPiece);
  if (!STREAMED_FORMATS.includes(plan.format)) {
    const file = await tts.render(plan);
    facts.sampleRate = file.facts.sampleRate;
    facts.quality = file.quality;
    facts.durationSeconds = Number(file.facts.durationSeconds.toFixed(3));
    yield* pieces(file.bytes);
    return;
  }
  let meter: QualityMeter | undefined;
  let samples = 0;
  let rate = 0;
  async function* metered(): AsyncGenerator<Pcm> {
    for await (const piece of tts.pcmPieces(plan)) {
      if (meter === undefined) {
        rate = piece.sampleRate;
        meter = new QualityMeter(rate);
      }
      // Measured while the next chunks are synthesised elsewhere, so the report is ready at the end.
      meter.add(piece.samples);
      samples += piece.samples.length;
      yield piece;
    }
  }
  const source = metered();
  const first = await source.next();
  if (first.done) return;
  if (plan.format === 'mp3') {
    facts.sampleRate = first.value.sampleRate;
    const encoded: Buffer[] = [];
    for await (const bytes of tts.encoder().encodeStream(first.value, source, 'mp3', plan.signal)) {
      encoded.push(bytes);
      yield* pieces(bytes);
    }
    try {
      await inspectAudio(
        Buffer.concat(encoded),
        { format: 'mp3', sampleRate: rate, channels: 1, durationSeconds: samples / rate },
        'ffmpeg',
      );
    } catch (err) {
      tts.metrics.rejectedAudio.inc({ backend: 'encoder' });
      throw err;
    }
  } else {
    facts.sampleRate = plan.format === 'pcm' ? PCM_SAMPLE_RATE : rate;
    let piece: IteratorResult<Pcm> = first;
    let header = plan.format === 'wav' ? streamingWavHeader(rate) : undefined;
    while (!piece.done) {
      const pcm =
        plan.format === 'pcm'
          ? pcmBytes(resampleLinear(piece.value.samples, rate, PCM_SAMPLE_RATE))
          : pcmBytes(piece.value.samples);
      yield* pieces(header ? Buffer.concat([header, pcm]) : pcm);
      header = undefined;
      piece = await source.next();
    }
  }
  if (meter) {
    facts.quality = tts.recordQuality(plan, meter.report({ text: plan.text, speed: plan.speed }));
    facts.durationSeconds = Number((samples / rate).toFixed(3));
  }
}
