import { Throttle } from '@nestjs/throttler';
import type { TtsConfig } from './tts.config';

const MINUTE_MS = 60_000;

/**
 * Per-minute limit of the speech routes. Decorators are evaluated before config exists, so the
 * limit is read per request (the throttler resolves a function limit each time) and set from
 * TTS_SPEECH_PER_MINUTE at boot, as the LLM routes do.
 */
const limits = { speech: 60 };

export function applyTtsRouteLimits(config: Pick<TtsConfig, 'speechPerMinute'>): void {
  limits.speech = config.speechPerMinute;
}

/** Speech synthesis: TTS_SPEECH_PER_MINUTE per caller and route (the `sustained` throttler). */
export const SpeechRateLimit = () => Throttle({ sustained: { limit: () => limits.speech, ttl: MINUTE_MS } });
