import { endianness } from 'node:os';
import { WaveFile } from 'wavefile';

/** Mono 16-bit PCM: what every backend's answer is decoded to, and every output is encoded from. */
export interface Pcm {
  samples: Int16Array;
  sampleRate: number;
}

export const pcmDurationSeconds = (pcm: Pcm): number => pcm.samples.length / pcm.sampleRate;

const LITTLE_ENDIAN = endianness() === 'LE';

/** Little-endian s16 bytes of the samples (the `pcm` response format). */
export function pcmBytes(samples: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], i * 2);
  return out;
}

/** A complete WAV file (RIFF, PCM, mono, 16-bit), written with wavefile. */
export function wavFile(pcm: Pcm): Buffer {
  const wav = new WaveFile();
  wav.fromScratch(1, pcm.sampleRate, '16', pcm.samples);
  return Buffer.from(wav.toBuffer());
}

/**
 * The 44-byte header of a WAV whose length is not known when it starts (streamed by sentence):
 * RIFF and data sizes are 0xFFFFFFFF, which players and ffmpeg read as "until the end".
 * Hand-written because wavefile writes whole files only.
 */
export function streamingWavHeader(sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(0xffffffff, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(0xffffffff, 40);
  return h;
}

/** Offset and declared size of the `data` chunk of a RIFF/WAVE buffer, if it has one. */
export function wavDataChunk(buf: Uint8Array): { offset: number; size: number } | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let at = 12;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'data') return { offset: at + 8, size };
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/** Declared sizes at or above this are a streaming writer's placeholders, not lengths. */
const PLACEHOLDER_SIZE = 0x7fff0000;

/**
 * A WAV written to a pipe (`espeak-ng --stdout`, streaming servers) declares placeholder sizes
 * (espeak-ng writes 0x7ffff024). Rewrites them to the real lengths so parsers read the file;
 * real sizes are left alone, so a truncated file still shows as truncated.
 */
export function fixPlaceholderWavSizes(buf: Buffer): Buffer {
  const data = wavDataChunk(buf);
  if (data === undefined || data.size < PLACEHOLDER_SIZE) return buf;
  const out = Buffer.from(buf);
  const dataBytes = out.length - data.offset;
  out.writeUInt32LE(dataBytes - (dataBytes % 2), data.offset - 4);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

/**
 * The samples of a mono 16-bit PCM WAV already checked by the inspector. Read straight from the
 * data chunk: wavefile's getSamples goes through Float64 per sample and took 320 ms for two
 * minutes of speech here, longer than espeak-ng took to speak it.
 */
export function decodeWav(buf: Buffer, sampleRate: number): Pcm {
  const data = wavDataChunk(buf);
  if (data === undefined) throw new Error('not a WAV file');
  const bytes = Math.min(data.size, buf.length - data.offset) & ~1;
  const samples = new Int16Array(bytes / 2);
  if (LITTLE_ENDIAN) new Uint8Array(samples.buffer).set(buf.subarray(data.offset, data.offset + bytes));
  else for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(data.offset + i * 2);
  return { samples, sampleRate };
}

/**
 * Joins chunks with a linear crossfade of `fadeMs` so that joins do not click: the end of one
 * chunk fades out while the start of the next fades in over the same samples.
 */
export class PcmJoiner {
  private held = new Int16Array(0);
  private started = false;

  constructor(private readonly fadeSamples: number) {}

  static forRate(sampleRate: number, fadeMs: number): PcmJoiner {
    return new PcmJoiner(Math.round((sampleRate * fadeMs) / 1000));
  }

  /** Adds the next chunk; returns the samples that are final now (the tail is held back for the next fade). */
  push(chunk: Int16Array): Int16Array {
    let head = chunk;
    const parts: Int16Array[] = [];
    if (this.started) {
      const n = Math.min(this.held.length, chunk.length, this.fadeSamples);
      const keep = this.held.subarray(0, this.held.length - n);
      const mixed = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        const t = (i + 1) / (n + 1);
        mixed[i] = Math.round(this.held[this.held.length - n + i] * (1 - t) + chunk[i] * t);
      }
      parts.push(keep, mixed);
      head = chunk.subarray(n);
    }
    this.started = true;
    const hold = Math.min(this.fadeSamples, head.length);
    parts.push(head.subarray(0, head.length - hold));
    this.held = head.slice(head.length - hold);
    return concatSamples(parts);
  }

  /** The held-back tail, at the end of the stream. */
  finish(): Int16Array {
    const rest = this.held;
    this.held = new Int16Array(0);
    return rest;
  }
}

export function concatSamples(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Linear-interpolation resampling, for the `pcm` format's fixed 24 kHz (OpenAI's). Hand-written:
 * the step is between nearby speech rates (22.05 → 24 kHz) where linear interpolation is inaudible,
 * and a resampling library would be a native dependency for one line of arithmetic.
 */
export function resampleLinear(samples: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return samples;
  const n = Math.floor((samples.length * to) / from);
  const out = new Int16Array(n);
  const step = from / to;
  for (let i = 0; i < n; i++) {
    const x = i * step;
    const j = Math.floor(x);
    const a = samples[j] ?? 0;
    const b = samples[Math.min(j + 1, samples.length - 1)] ?? a;
    out[i] = Math.round(a + (b - a) * (x - j));
  }
  return out;
}
