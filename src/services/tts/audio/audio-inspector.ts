import { parseBuffer } from 'music-metadata';
import { TtsBadAudioError } from '../tts.errors';
import { FORMAT_SPECS, type SpeechFormat } from './audio-formats';
import { wavDataChunk } from './pcm';

/** What a file must be. */
export interface AudioExpectation {
  format: Exclude<SpeechFormat, 'pcm'>;
  /** Unset: any rate (reported). */
  sampleRate?: number;
  channels: number;
  /** The length it must have (encoders pad a little: ± max(0.15 s, 5 %)). */
  durationSeconds?: number;
}

/** What the parse found. */
export interface AudioFacts {
  container: string;
  codec: string;
  sampleRate: number;
  channels: number;
  durationSeconds: number;
}

const MIME: Record<AudioExpectation['format'], string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
};

/**
 * Audio is checked, not trusted: parses `bytes` with music-metadata and throws
 * {@link TtsBadAudioError} (a 502, never passed on) unless container, codec, sample rate, channels
 * and duration are what was asked for. `source` names where it came from in the message.
 */
export async function inspectAudio(bytes: Buffer, expect: AudioExpectation, source: string): Promise<AudioFacts> {
  const bad = (why: string) => new TtsBadAudioError(`${source} returned unusable audio: ${why}`);
  if (bytes.length === 0) throw bad('an empty body');
  const spec = FORMAT_SPECS[expect.format];
  let format;
  try {
    ({ format } = await parseBuffer(
      bytes,
      { mimeType: MIME[expect.format], size: bytes.length },
      { duration: true, skipCovers: true },
    ));
  } catch (err) {
    throw bad(`it does not parse as ${expect.format} (${(err as Error).message})`);
  }
  const facts: AudioFacts = {
    container: format.container ?? 'unknown',
    codec: format.codec ?? 'unknown',
    sampleRate: format.sampleRate ?? 0,
    channels: format.numberOfChannels ?? 0,
    durationSeconds: format.duration ?? 0,
  };
  if (!spec.container?.test(facts.container)) throw bad(`container ${facts.container}, expected ${expect.format}`);
  if (spec.codec && !spec.codec.test(facts.codec)) throw bad(`codec ${facts.codec}, expected ${expect.format}`);
  if (expect.sampleRate !== undefined && facts.sampleRate !== expect.sampleRate) {
    throw bad(`${facts.sampleRate} Hz, expected ${expect.sampleRate} Hz`);
  }
  if (facts.channels !== expect.channels) throw bad(`${facts.channels} channel(s), expected ${expect.channels}`);
  if (expect.format === 'wav') {
    if (format.bitsPerSample !== 16) throw bad(`${format.bitsPerSample ?? '?'}-bit samples, expected 16-bit`);
    const data = wavDataChunk(bytes);
    if (data === undefined) throw bad('no data chunk');
    const present = bytes.length - data.offset;
    if (present < data.size) throw bad(`truncated: ${present} of ${data.size} declared data bytes present`);
    facts.durationSeconds = data.size / 2 / facts.sampleRate;
    if (data.size === 0) throw bad('no samples');
  }
  // music-metadata estimates ADTS durations from the bitrate; the frames tell exactly.
  if (expect.format === 'aac') facts.durationSeconds = adtsSamples(bytes) / facts.sampleRate;
  if (!(facts.durationSeconds > 0)) throw bad('no duration');
  if (expect.durationSeconds !== undefined) {
    const slack = Math.max(0.15, expect.durationSeconds * 0.05);
    if (Math.abs(facts.durationSeconds - expect.durationSeconds) > slack) {
      throw bad(`${facts.durationSeconds.toFixed(3)} s long, expected ${expect.durationSeconds.toFixed(3)} s`);
    }
  }
  return facts;
}

/** Samples in an ADTS stream, counted frame by frame (1,024 per raw data block). */
export function adtsSamples(buf: Buffer): number {
  let at = 0;
  let samples = 0;
  while (at + 7 <= buf.length && buf[at] === 0xff && (buf[at + 1] & 0xf0) === 0xf0) {
    const length = ((buf[at + 3] & 0x03) << 11) | (buf[at + 4] << 3) | (buf[at + 5] >> 5);
    if (length < 7 || at + length > buf.length) break;
    samples += 1024 * ((buf[at + 6] & 0x03) + 1);
    at += length;
  }
  return samples;
}
