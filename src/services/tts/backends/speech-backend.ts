import type { Pcm } from '../audio/pcm';

/** The three kinds of backend; a model is routed to one of them by config. */
export const BACKEND_KINDS = ['openai', 'piper', 'espeak'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** OpenAI's voice names, mapped to each backend's own voices by config. */
export const OPENAI_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
] as const;

export interface BackendVoice {
  id: string;
  language?: string;
  name?: string;
}

/** One chunk of text to speak. */
export interface SynthesisRequest {
  text: string;
  /** The backend's own voice id (aliases already resolved). */
  voice: string;
  speed: number;
  signal?: AbortSignal;
  requestId?: string;
}

/** A source of speech. Every answer is parsed and checked before it is decoded to {@link Pcm}. */
export interface SpeechBackend {
  readonly kind: BackendKind;
  /** Configured and (for remote ones) some instance reachable, or the local binary found. */
  available(): boolean;
  /** Why not, when not available. */
  unavailableReason(): string;
  voices(): BackendVoice[];
  /** Whether `voice` (a backend voice id) can be used. */
  hasVoice(voice: string): boolean;
  /** OpenAI voice name → backend voice. */
  aliases(): Record<string, string>;
  /** Throws for options this backend cannot honour. */
  checkOptions(options: { speed: number }): void;
  synthesize(req: SynthesisRequest): Promise<Pcm>;
  details(): Record<string, unknown>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
