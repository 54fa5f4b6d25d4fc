import { FennecError } from '../../platform/errors';

/** No speech backend is configured or reachable (no upstream, no Piper, no espeak-ng). */
export class TtsUnavailableError extends FennecError {
  readonly code = 'TTS.UNAVAILABLE';
  readonly kind = 'unavailable';
}

/** The voice is not one the chosen backend has (the message lists the voices). */
export class TtsUnknownVoiceError extends FennecError {
  readonly code = 'TTS.UNKNOWN_VOICE';
  readonly kind = 'invalid';
}

/** The model is not configured. */
export class TtsUnknownModelError extends FennecError {
  readonly code = 'TTS.UNKNOWN_MODEL';
  readonly kind = 'invalid';
}

/** The response format needs ffmpeg, which this server does not have (the message lists what it can produce). */
export class TtsFormatUnavailableError extends FennecError {
  readonly code = 'TTS.FORMAT_UNAVAILABLE';
  readonly kind = 'invalid';
}

/** The backend cannot honour this option (e.g. speed on a Piper server, whose speed is fixed at its start). */
export class TtsOptionUnsupportedError extends FennecError {
  readonly code = 'TTS.OPTION_UNSUPPORTED';
  readonly kind = 'invalid';
}

/** Audio from a backend or the encoder did not parse, or is not what was asked for: never passed on. */
export class TtsBadAudioError extends FennecError {
  readonly code = 'TTS.BAD_AUDIO';
  readonly kind = 'bad_gateway';
}

/** The local engine failed (exit status, signal) on this input. */
export class TtsEngineFailedError extends FennecError {
  readonly code = 'TTS.ENGINE_FAILED';
  readonly kind = 'bad_gateway';
}

/** No stored speech with this id for the caller's tenant. */
export class TtsAudioNotFoundError extends FennecError {
  readonly code = 'TTS.NOT_FOUND';
  readonly kind = 'not_found';
}

/** The text of `POST /v1/tts` is longer than TTS_NATIVE_MAX_CHARS. */
export class TtsTextTooLongError extends FennecError {
  readonly code = 'TTS.TEXT_TOO_LONG';
  readonly kind = 'too_large';
}
