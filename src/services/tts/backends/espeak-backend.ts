import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import { inspectAudio } from '../audio/audio-inspector';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { collectProcess, probeCommand, runProcess } from '../audio/child-process';
import { decodeWav, fixPlaceholderWavSizes, type Pcm } from '../audio/pcm';
import { TtsEngineFailedError } from '../tts.errors';
import type { BackendVoice, SpeechBackend, SynthesisRequest } from './speech-backend';

/** espeak-ng always writes 22,050 Hz mono 16-bit. */
export const ESPEAK_SAMPLE_RATE = 22_050;
/** espeak-ng's default rate in words per minute: speed 1. */
const BASE_WPM = 175;
const REFILL_DELAY_MS = 50;

export interface EspeakOptions {
  command: string;
  enabled: boolean;
  concurrency: number;
  aliases: Record<string, string>;
}

/** Parses `espeak-ng --voices` (or `--voices=variant`): one voice per line after the header. */
export function parseEspeakVoices(listing: string): BackendVoice[] {
  return listing
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 4)
    .map((cols) => ({ id: cols[1], language: cols[1].replace(/^variant$/, ''), name: cols[3] }));
}

/**
 * The local engine: espeak-ng (Debian package) as a child process, a bounded number at a time
 * (TTS_ESPEAK_CONCURRENCY). Voices are espeak-ng's languages (`en-us`), optionally with a variant
 * (`en-us+f3`). Text goes over stdin, never as an argument, so it is never read as an option.
 */
export class EspeakBackend implements SpeechBackend {
  readonly kind = 'espeak' as const;
  private version?: string;
  private languages = new Map<string, BackendVoice>();
  private variants = new Set<string>();
  private readonly limiter: BulkheadPolicy;
  /**
   * Started processes waiting for text, for the last voice and rate used. espeak-ng loads its
   * voice before it reads stdin, which costs 10-25 ms a process here: a warm spare takes it off
   * the time to first audio.
   */
  private spares: { key: string; children: ChildProcessWithoutNullStreams[] } = { key: '', children: [] };
  private stopped = false;
  private inFlight = 0;
  private refillTimer?: NodeJS.Timeout;

  constructor(private readonly options: EspeakOptions) {
    this.limiter = bulkhead(options.concurrency, 100_000);
  }

  async start(): Promise<void> {
    if (!this.options.enabled) return;
    this.version = await probeCommand(this.options.command, '--version');
    if (this.version === undefined) return;
    const [voices, variants] = await Promise.all([
      runProcess(this.options.command, ['--voices']),
      runProcess(this.options.command, ['--voices=variant']),
    ]);
    for (const v of parseEspeakVoices(voices.stdout.toString())) this.languages.set(v.id, v);
    for (const line of variants.stdout.toString().split('\n').slice(1)) {
      const file = /!v\/(\S+)/.exec(line)?.[1];
      if (file) this.variants.add(file);
    }
    this.warm(this.options.aliases.alloy ?? 'en-us');
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refillTimer);
    this.dropSpares();
    return Promise.resolve();
  }

  private dropSpares(): void {
    for (const child of this.spares.children) child.kill('SIGKILL');
    this.spares.children = [];
  }

  private start1(args: string[]): ChildProcessWithoutNullStreams {
    const child = spawn(this.options.command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.on('error', () => undefined);
    return child;
  }

  /** A process for `args`: a warm spare when one waits for these arguments, else a new one. */
  private take(args: string[]): ChildProcessWithoutNullStreams {
    const key = args.join('\0');
    const spare = this.spares.key === key ? this.spares.children.shift() : undefined;
    return spare && spare.exitCode === null && !spare.killed ? spare : this.start1(args);
  }

  /**
   * Keeps `concurrency` spares for `args` (the last voice and rate used). Called after a
   * synthesis, not before: spawning costs the event loop a few milliseconds each.
   */
  private refill(args: string[]): void {
    const key = args.join('\0');
    if (this.spares.key !== key) {
      this.dropSpares();
      this.spares.key = key;
    }
    // One more than run at once: a request's first chunk and its parallel share all start warm.
    while (!this.stopped && this.spares.children.length < this.options.concurrency + 1) {
      const child = this.start1(args);
      child.on('exit', () => {
        this.spares.children = this.spares.children.filter((c) => c !== child);
      });
      child.unref();
      this.spares.children.push(child);
    }
  }

  /**
   * Spawning costs the event loop a few milliseconds a process, so spares are made once no
   * synthesis has run for a moment, off the path of the answer being finished.
   */
  private refillWhenIdle(args: string[]): void {
    clearTimeout(this.refillTimer);
    if (this.inFlight > 0 || this.stopped) return;
    this.refillTimer = setTimeout(() => {
      if (this.inFlight === 0) this.refill(args);
    }, REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  /** Starts spares for `voice` at speed 1 (the default voice, at start). */
  warm(voice: string): void {
    if (this.available() && this.hasVoice(voice)) this.refill(this.args(voice, 1));
  }

  private args(voice: string, speed: number): string[] {
    return ['--stdout', '-v', voice, '-s', String(Math.round(BASE_WPM * speed))];
  }

  available(): boolean {
    return this.version !== undefined && this.languages.size > 0;
  }

  unavailableReason(): string {
    if (!this.options.enabled) return 'espeak-ng is disabled (TTS_ESPEAK_ENABLED=false)';
    return `espeak-ng not found (${this.options.command})`;
  }

  voices(): BackendVoice[] {
    return [...this.languages.values()];
  }

  hasVoice(voice: string): boolean {
    const [language, variant, ...rest] = voice.split('+');
    return rest.length === 0 && this.languages.has(language) && (variant === undefined || this.variants.has(variant));
  }

  aliases(): Record<string, string> {
    return this.options.aliases;
  }

  checkOptions(): void {
    // espeak-ng takes any rate from 0.25× to 4× of its default (44 to 700 words a minute).
  }

  details(): Record<string, unknown> {
    return { version: this.version, voices: this.languages.size, concurrency: this.options.concurrency };
  }

  synthesize(req: SynthesisRequest): Promise<Pcm> {
    const args = this.args(req.voice, req.speed);
    return this.limiter.execute(async () => {
      this.inFlight++;
      const child = this.take(args);
      child.ref();
      const r = await collectProcess(child, { stdin: req.text, signal: req.signal }).finally(() => this.inFlight--);
      this.refillWhenIdle(args);
      if (r.code !== 0) {
        throw new TtsEngineFailedError(`espeak-ng failed (exit ${r.code ?? r.signal}): ${r.stderr.slice(0, 200)}`);
      }
      const wav = fixPlaceholderWavSizes(r.stdout);
      const facts = await inspectAudio(
        wav,
        { format: 'wav', sampleRate: ESPEAK_SAMPLE_RATE, channels: 1 },
        'espeak-ng',
      );
      return decodeWav(wav, facts.sampleRate);
    });
  }
}
