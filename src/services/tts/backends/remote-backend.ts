import type { UpstreamPool, UpstreamPools, UpstreamResponse } from '../../../platform/upstream';
import { inspectAudio } from '../audio/audio-inspector';
import { decodeWav, fixPlaceholderWavSizes, type Pcm } from '../audio/pcm';
import { TtsBadAudioError } from '../tts.errors';
import type { BackendKind, BackendVoice, SpeechBackend, SynthesisRequest } from './speech-backend';

export interface RemoteBackendOptions {
  urls: string[];
  /** The rate this backend's voices speak at; a WAV at another rate is refused (502). */
  sampleRate: number;
  voices: string[];
  aliases: Record<string, string>;
  timeoutMs: number;
  healthIntervalMs: number;
}

/**
 * A backend reached over HTTP through a platform upstream pool (balancing, breakers, failover).
 * A reachability probe runs every `healthIntervalMs` and reports to the pool; the backend is
 * available while some instance answered its last probe.
 */
export abstract class RemoteSpeechBackend implements SpeechBackend {
  abstract readonly kind: BackendKind;
  protected pool?: UpstreamPool;
  private timer?: NodeJS.Timeout;
  private readonly reachable = new Map<string, boolean>();
  /** Voices the servers list themselves (see {@link voicesFrom}), beside the configured ones. */
  private readonly discovered = new Set<string>();

  constructor(
    protected readonly options: RemoteBackendOptions,
    private readonly pools: UpstreamPools,
  ) {}

  protected abstract readonly probePath: string;

  /** The voices in the answer to a probe, when the server lists them there. */
  protected voicesFrom(_body: unknown): string[] {
    return [];
  }
  protected abstract call(pool: UpstreamPool, req: SynthesisRequest): Promise<UpstreamResponse>;
  abstract checkOptions(options: { speed: number }): void;

  private get poolName(): string {
    return `tts-${this.kind}`;
  }

  async start(): Promise<void> {
    if (this.options.urls.length === 0) return;
    this.pool = this.pools.create(this.poolName, {
      instances: this.options.urls.map((url) => ({ url, id: instanceId(url) })),
      strategy: 'least-outstanding',
      timeouts: { firstByteMs: this.options.timeoutMs, totalMs: this.options.timeoutMs },
      breaker: { slowCallMs: this.options.timeoutMs },
    });
    await this.probe();
    this.timer = setInterval(() => void this.probe(), this.options.healthIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.pool) await this.pools.remove(this.poolName);
    this.pool = undefined;
  }

  /** Any HTTP answer means the server is there (Piper answers a bare GET with an error page). */
  private async probe(): Promise<void> {
    await Promise.all(
      this.options.urls.map(async (url) => {
        let up: boolean;
        try {
          const res = await fetch(new URL(this.probePath, url), { signal: AbortSignal.timeout(2_000) });
          const text = await res.text();
          up = true;
          if (res.ok && (res.headers.get('content-type') ?? '').includes('json')) {
            for (const v of this.voicesFrom(JSON.parse(text))) this.discovered.add(v);
          }
        } catch {
          up = false;
        }
        this.reachable.set(url, up);
        this.pool?.reportProbe(instanceId(url), up, up ? undefined : 'unreachable');
      }),
    );
  }

  available(): boolean {
    return this.pool !== undefined && [...this.reachable.values()].some(Boolean);
  }

  unavailableReason(): string {
    if (this.options.urls.length === 0) return `no ${this.kind} server configured`;
    return `no ${this.kind} server reachable`;
  }

  voices(): BackendVoice[] {
    return [...new Set([...this.options.voices, ...this.discovered])].map((id) => ({ id }));
  }

  hasVoice(voice: string): boolean {
    return this.options.voices.includes(voice) || this.discovered.has(voice);
  }

  aliases(): Record<string, string> {
    return this.options.aliases;
  }

  details(): Record<string, unknown> {
    return {
      instances: this.options.urls.map((url) => ({ id: instanceId(url), reachable: this.reachable.get(url) ?? false })),
      voices: this.voices().length,
    };
  }

  async synthesize(req: SynthesisRequest): Promise<Pcm> {
    const pool = this.pool;
    if (pool === undefined) throw new Error(`${this.kind} backend is not started`);
    const res = await this.call(pool, req);
    const body = Buffer.from(await new Response(res.body).arrayBuffer());
    if (!res.ok) {
      throw new TtsBadAudioError(
        `The ${this.kind} server answered ${res.status}: ${body.toString('utf8', 0, 200).replace(/\s+/g, ' ')}`,
      );
    }
    const wav = fixPlaceholderWavSizes(body);
    const facts = await inspectAudio(
      wav,
      { format: 'wav', sampleRate: this.options.sampleRate, channels: 1 },
      `The ${this.kind} server`,
    );
    return decodeWav(wav, facts.sampleRate);
  }
}

function instanceId(url: string): string {
  const u = new URL(url);
  return u.port ? `${u.hostname}:${u.port}` : u.host;
}
