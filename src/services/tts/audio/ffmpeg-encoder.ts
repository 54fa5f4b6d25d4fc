import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TtsEngineFailedError } from '../tts.errors';
import { FORMAT_SPECS, type SpeechFormat } from './audio-formats';
import { runProcess } from './child-process';
import { pcmBytes, type Pcm } from './pcm';

/** Encodes PCM to mp3/opus/aac/flac with the ffmpeg binary (a Debian package), a bounded number at a time. */
export class FfmpegEncoder {
  private readonly limiter: BulkheadPolicy;

  constructor(
    private readonly command: string,
    concurrency: number,
  ) {
    this.limiter = bulkhead(concurrency, 10_000);
  }

  /** The sample rate a file of `format` made from `pcm` has. */
  static outputRate(format: SpeechFormat, pcm: Pcm): number {
    return FORMAT_SPECS[format].sampleRate ?? pcm.sampleRate;
  }

  encode(pcm: Pcm, format: SpeechFormat, signal?: AbortSignal): Promise<Buffer> {
    const spec = FORMAT_SPECS[format];
    if (!spec.ffmpeg) throw new Error(`${format} is not an ffmpeg format`);
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      's16le',
      '-ar',
      String(pcm.sampleRate),
      '-ac',
      '1',
      '-i',
      'pipe:0',
      '-ar',
      String(FfmpegEncoder.outputRate(format, pcm)),
      ...spec.ffmpeg,
      '-y',
    ];
    // A file, not a pipe: ffmpeg then seeks back to fill in FLAC's STREAMINFO sample count and
    // the mp3 Xing header, so the file states its duration and can be checked.
    const out = join(tmpdir(), `fennec-tts-${randomUUID()}.${format}`);
    return this.limiter.execute(async () => {
      try {
        const r = await runProcess(this.command, [...args, out], { stdin: pcmBytes(pcm.samples), signal });
        if (r.code !== 0) {
          throw new TtsEngineFailedError(`ffmpeg could not encode ${format} (exit ${r.code ?? r.signal})`);
        }
        return await readFile(out);
      } finally {
        await rm(out, { force: true });
      }
    });
  }
}
