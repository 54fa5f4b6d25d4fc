import { ThrottleFromConfig } from '../../platform/route-metadata';
import { ttsConfig, type TtsConfig } from './tts.config';

const MINUTE_MS = 60_000;

/** Speech synthesis: TTS_SPEECH_PER_MINUTE per caller and route (the `sustained` throttler), as the LLM routes are limited. */
export const SpeechRateLimit = () =>
  ThrottleFromConfig('sustained', ttsConfig.KEY, (c: TtsConfig) => c.speechPerMinute, MINUTE_MS);
