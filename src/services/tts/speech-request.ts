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
}

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
  const voice = text('voice');
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
  if (b.stream_format !== undefined && b.stream_format !== 'audio') {
    throw invalid('stream_format', 'must be "audio" (server-sent events are not served here)');
  }
  return { model, input, voice, format, speed };
}
