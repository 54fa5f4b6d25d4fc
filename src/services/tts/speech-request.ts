import { RequestValidationError } from '../../platform/errors';
import { SPEECH_FORMATS, type SpeechFormat } from './audio/audio-formats';

/** A checked `POST /v1/audio/speech` body. */
export interface SpeechRequest {
  model: string;
  input: string;
  voice: string;
  /** Unset: mp3 when ffmpeg is there (OpenAI's default), else wav. */
  format?: SpeechFormat;
  speed: number;
  /** `audio`: the bytes of the file; `sse`: OpenAI's `speech.audio.delta` / `speech.audio.done` events. */
  streamFormat: SpeechStreamFormat;
}

export const STREAM_FORMATS = ['audio', 'sse'] as const;
export type SpeechStreamFormat = (typeof STREAM_FORMATS)[number];

/** OpenAI serves `stream_format: "sse"` for every model but these two; so does this server. */
export const MODELS_WITHOUT_SSE: readonly string[] = ['tts-1', 'tts-1-hd'];

const invalid = (field: string, message: string) =>
  new RequestValidationError(`${field} ${message}`, { fieldErrors: [{ field, message }] });

/**
 * Reads OpenAI's request body by hand rather than through a DTO: OpenAI clients send fields this
 * server ignores (`instructions`), which the global pipe's whitelist would refuse.
 */
export function parseSpeechRequest(body: unknown, maxInputChars: number): SpeechRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestValidationError('The body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const text = (field: string): string => {
    const v = b[field];
    if (typeof v !== 'string' || v.trim() === '') throw invalid(field, 'must be a non-empty string');
    return v;
  };
  const model = text('model');
  const input = text('input');
  const voice = voiceOf(b.voice);
  if (input.length > maxInputChars)
    throw invalid('input', `must be at most ${maxInputChars} characters (got ${input.length})`);
  let format: SpeechFormat | undefined;
  if (b.response_format !== undefined) {
    if (!SPEECH_FORMATS.includes(b.response_format as SpeechFormat)) {
      throw invalid('response_format', `must be one of ${SPEECH_FORMATS.join(', ')}`);
    }
    format = b.response_format as SpeechFormat;
  }
  const speed = b.speed ?? 1;
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < 0.25 || speed > 4) {
    throw invalid('speed', 'must be a number from 0.25 to 4.0');
  }
  const streamFormat = (b.stream_format ?? 'audio') as SpeechStreamFormat;
  if (!STREAM_FORMATS.includes(streamFormat)) throw invalid('stream_format', 'must be "audio" or "sse"');
  if (streamFormat === 'sse' && MODELS_WITHOUT_SSE.includes(model)) {
    throw invalid(
      'stream_format',
      `"sse" is not supported for ${MODELS_WITHOUT_SSE.join(' or ')}, as at OpenAI; use another model (GET /v1/audio/voices lists them) or "audio"`,
    );
  }
  return { model, input, voice, format, speed, streamFormat };
}

/** A voice name, or OpenAI's custom voice reference `{ "id": "voice_1234" }` (here: any backend voice id). */
function voiceOf(v: unknown): string {
  const id = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { id?: unknown }).id : v;
  if (typeof id !== 'string' || id.trim() === '' || id.length > 100) {
    throw invalid('voice', 'must be a voice name or { "id": "<voice>" } (at most 100 characters)');
  }
  return id;
}
