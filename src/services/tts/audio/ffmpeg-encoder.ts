import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
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

  private args(format: SpeechFormat, sampleRate: number): string[] {
    const spec = FORMAT_SPECS[format];
    if (!spec.ffmpeg) throw new Error(`${format} is not an ffmpeg format`);
    return [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      's16le',
      '-ar',
      String(sampleRate),
      '-ac',
      '1',
      '-i',
      'pipe:0',
      '-ar',
      String(FORMAT_SPECS[format].sampleRate ?? sampleRate),
      ...spec.ffmpeg,
    ];
  }

  encode(pcm: Pcm, format: SpeechFormat, signal?: AbortSignal): Promise<Buffer> {
    const args = [...this.args(format, pcm.sampleRate), '-y'];
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

  /**
   * Encodes PCM pieces as they come and yields the encoded bytes as ffmpeg writes them (mp3
   * frames through a pipe), holding one of the encoder's slots until the end. The caller checks
   * the whole output once it is complete (a pipe gives no header to fill in afterwards).
   * `first` is the first piece, already read (its rate sets the encoder's).
   */
  async *encodeStream(
    first: Pcm,
    rest: AsyncIterator<Pcm>,
    format: SpeechFormat,
    signal?: AbortSignal,
  ): AsyncGenerator<Buffer> {
    const release = await this.acquire(signal);
    const child = spawn(this.command, [...this.args(format, first.sampleRate), 'pipe:1'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal,
    });
    child.on('error', () => undefined);
    child.stdin.on('error', () => undefined);
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 2_000) stderr += b.toString();
    });
    const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    // Fed beside the reading below: ffmpeg's output pipe must be drained while its input is written.
    const feeding = (async () => {
      let piece: IteratorResult<Pcm> = { done: false, value: first };
      while (!piece.done) {
        if (piece.value.sampleRate !== first.sampleRate) throw new Error('the sample rate changed mid-stream');
        // Or until it closes: an encoder that died takes no more, and its exit status tells why.
        if (!child.stdin.write(pcmBytes(piece.value.samples)))
          await Promise.race([once(child.stdin, 'drain'), once(child.stdin, 'close')]);
        piece = await rest.next();
      }
      child.stdin.end();
    })();
    feeding.catch(() => child.kill('SIGKILL'));
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      await feeding;
      const [code, sig] = await exited;
      if (code !== 0) {
        throw new TtsEngineFailedError(
          `ffmpeg could not encode ${format} (exit ${code ?? sig}): ${stderr.slice(0, 200)}`,
        );
      }
    } finally {
      child.kill('SIGKILL');
      void rest.return?.()?.catch(() => undefined);
      release();
    }
  }

  /** One of the encoder's slots, held until the returned function is called. */
  private acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      this.limiter
        .execute(() => new Promise<void>((release) => resolve(release)), signal)
        .catch((err: unknown) => reject(err as Error));
    });
  }
}
