import type { SpeechFormat } from './audio/audio-formats';
import type { AudioFacts } from './audio/audio-inspector';
import type { AudioQualityReport } from './audio/audio-quality';
import type { SpeechBackend } from './backends/speech-backend';

/** A request resolved to a backend, voice, format and chunks of text. */
export interface SpeechPlan {
  model: string;
  backend: SpeechBackend;
  /** The voice asked for, and the backend voice it resolved to. */
  requestedVoice: string;
  voice: string;
  format: SpeechFormat;
  speed: number;
  text: string;
  chunks: string[];
  signal?: AbortSignal;
  requestId?: string;
  /** Called as each chunk's audio is in (in order), e.g. for a job's progress. */
  onChunk?: (done: number, total: number) => void;
}

/** A finished file with what was checked and measured about it. */
export interface SpeechFile {
  bytes: Buffer;
  contentType: string;
  facts:
    AudioFacts | { container: 'raw'; codec: 'pcm_s16le'; sampleRate: number; channels: 1; durationSeconds: number };
  quality: AudioQualityReport;
}
