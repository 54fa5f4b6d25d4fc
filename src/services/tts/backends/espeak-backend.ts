import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import { inspectAudio } from '../audio/audio-inspector';
import { probeCommand, runProcess } from '../audio/child-process';
import { decodeWav, fixPlaceholderWavSizes, type Pcm } from '../audio/pcm';
import { TtsEngineFailedError } from '../tts.errors';
import type { BackendVoice, SpeechBackend, SynthesisRequest } from './speech-backend';

/** espeak-ng always writes 22,050 Hz mono 16-bit. */
export const ESPEAK_SAMPLE_RATE = 22_050;
/** espeak-ng's default rate in words per minute: speed 1. */
const BASE_WPM = 175;

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
  }

  stop(): Promise<void> {
    return Promise.resolve();
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
    const wpm = String(Math.round(BASE_WPM * req.speed));
    return this.limiter.execute(async () => {
      const r = await runProcess(this.options.command, ['--stdout', '-v', req.voice, '-s', wpm], {
        stdin: req.text,
        signal: req.signal,
      });
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
