import type { UpstreamPools } from '../../../platform/upstream';
import type { TtsConfig } from '../tts.config';
import { EspeakBackend } from './espeak-backend';
import { OpenAiSpeechBackend } from './openai-speech-backend';
import { PiperBackend } from './piper-backend';
import { type BackendKind, OPENAI_VOICES, type SpeechBackend } from './speech-backend';

/** One backend of each kind, as TTS_* configures them (a remote one without URLs stays unavailable). */
export function createBackends(config: TtsConfig, pools: UpstreamPools): Record<BackendKind, SpeechBackend> {
  const remote = { timeoutMs: config.timeoutMs, healthIntervalMs: config.healthIntervalMs };
  return {
    openai: new OpenAiSpeechBackend(
      {
        ...remote,
        urls: config.openai.urls,
        sampleRate: config.openai.sampleRate,
        voices: config.openai.voices,
        aliases: config.openai.aliases,
      },
      pools,
      config.openai.model,
    ),
    piper: new PiperBackend(
      {
        ...remote,
        urls: config.piper.urls,
        sampleRate: config.piper.sampleRate,
        voices: [config.piper.voice],
        // A Piper server runs one voice: every OpenAI name maps to it.
        aliases: Object.fromEntries(OPENAI_VOICES.map((v) => [v, config.piper.voice])),
      },
      pools,
    ),
    espeak: new EspeakBackend(config.espeak),
  };
}
