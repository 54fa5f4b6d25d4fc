/** Speech rate used for the expected duration: about 14 characters a second at speed 1. */
export const CHARS_PER_SECOND = 14;
const FRAME_SECONDS = 0.02;
/** A 20 ms frame quieter than this is silence. */
const SILENCE_DBFS = -50;
/** A sample at or beyond this magnitude is clipped. */
const CLIP_LEVEL = 32_700;
/** Flagged as clipped above this share of clipped samples. */
const CLIPPED_RATIO = 0.001;
/** The duration is flagged when it is outside [1/3, 3] of the expected length. */
const DURATION_TOLERANCE = 3;

export type QualityFlag = 'silent' | 'clipped' | 'duration_mismatch';

/** Measured from the samples of what was synthesised. */
export interface AudioQualityReport {
  durationSeconds: number;
  expectedSeconds: number;
  /** Actual over expected duration. */
  durationRatio: number;
  rmsDbfs: number;
  peakDbfs: number;
  /** Share of samples at full scale. */
  clippingRatio: number;
  /** Share of 20 ms frames below -50 dBFS. */
  silenceRatio: number;
  leadingSilenceSeconds: number;
  trailingSilenceSeconds: number;
  flags: QualityFlag[];
}

const dbfs = (x: number): number => (x <= 0 ? -120 : Math.max(-120, 20 * Math.log10(x / 32_768)));
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Expected length of speech for `text` at `speed`. */
export function expectedSpeechSeconds(text: string, speed: number): number {
  return text.replace(/\s+/g, ' ').trim().length / CHARS_PER_SECOND / speed;
}

/**
 * Measures speech as it is produced, piece by piece (so a streamed answer's report costs nothing
 * at its end), in 20 ms frames; {@link report} gives the quality report of everything added.
 */
export class QualityMeter {
  private readonly frame: number;
  private sumSquares = 0;
  private peak = 0;
  private clipped = 0;
  private count = 0;
  private readonly silentFrames: boolean[] = [];
  /** Samples of a frame not yet complete, carried over to the next piece. */
  private carry = new Int16Array(0);

  constructor(private readonly sampleRate: number) {
    this.frame = Math.max(1, Math.round(sampleRate * FRAME_SECONDS));
  }

  add(samples: Int16Array): void {
    let data = samples;
    if (this.carry.length > 0) {
      data = new Int16Array(this.carry.length + samples.length);
      data.set(this.carry);
      data.set(samples, this.carry.length);
    }
    const whole = data.length - (data.length % this.frame);
    this.frames(data, 0, whole);
    this.carry = data.slice(whole);
  }

  private frames(data: Int16Array, from: number, to: number): void {
    for (let start = from; start < to; start += this.frame) {
      const end = Math.min(to, start + this.frame);
      let frameSquares = 0;
      for (let i = start; i < end; i++) {
        const s = data[i];
        const a = s < 0 ? -s : s;
        frameSquares += s * s;
        if (a > this.peak) this.peak = a;
        if (a >= CLIP_LEVEL) this.clipped++;
      }
      this.sumSquares += frameSquares;
      this.count += end - start;
      this.silentFrames.push(dbfs(Math.sqrt(frameSquares / (end - start))) < SILENCE_DBFS);
    }
  }

  report(expected: { text: string; speed: number }): AudioQualityReport {
    if (this.carry.length > 0) {
      this.frames(this.carry, 0, this.carry.length);
      this.carry = new Int16Array(0);
    }
    const silentFrames = this.silentFrames;
    const n = this.count;
    const durationSeconds = n / this.sampleRate;
    const expectedSeconds = expectedSpeechSeconds(expected.text, expected.speed);
    const leading = silentFrames.findIndex((s) => !s);
    const trailing = [...silentFrames].reverse().findIndex((s) => !s);
    const allSilent = leading === -1;
    const silenceRatio = silentFrames.length ? silentFrames.filter(Boolean).length / silentFrames.length : 1;
    const rmsDbfs = n ? dbfs(Math.sqrt(this.sumSquares / n)) : -120;
    const clippingRatio = n ? this.clipped / n : 0;
    const durationRatio = expectedSeconds > 0 ? durationSeconds / expectedSeconds : 1;
    const flags: QualityFlag[] = [];
    if (allSilent || rmsDbfs < SILENCE_DBFS) flags.push('silent');
    if (clippingRatio > CLIPPED_RATIO) flags.push('clipped');
    if (durationRatio > DURATION_TOLERANCE || durationRatio < 1 / DURATION_TOLERANCE) flags.push('duration_mismatch');
    return {
      durationSeconds: round(durationSeconds),
      expectedSeconds: round(expectedSeconds),
      durationRatio: round(durationRatio),
      rmsDbfs: round(rmsDbfs, 1),
      peakDbfs: round(dbfs(this.peak), 1),
      clippingRatio: round(clippingRatio, 5),
      silenceRatio: round(silenceRatio),
      leadingSilenceSeconds: round((allSilent ? silentFrames.length : leading) * FRAME_SECONDS),
      trailingSilenceSeconds: round((allSilent ? silentFrames.length : trailing) * FRAME_SECONDS),
      flags,
    };
  }
}

/** The quality report of mono 16-bit samples against the text and speed asked for. */
export function measureQuality(
  samples: Int16Array,
  sampleRate: number,
  expected: { text: string; speed: number },
): AudioQualityReport {
  const meter = new QualityMeter(sampleRate);
  meter.add(samples);
  return meter.report(expected);
}
