import { IsBoolean, IsInt, IsString, IsUrl, Max, Min, ValidateBy } from 'class-validator';
import { availableParallelism } from 'node:os';
import { defineEnvNamespace, EnvBoolean, EnvInt, EnvList } from '../../platform/config';
import { BACKEND_KINDS, type BackendKind } from './backends/speech-backend';
import { pairsProblem, parsePairs } from './tts-map';

const IsPairs = (check?: (key: string, value: string) => string | undefined) =>
  ValidateBy({
    name: 'isPairs',
    validator: {
      validate: (value: unknown, args) => problemOf(value, args?.property ?? '', check) === undefined,
      defaultMessage: (args) => problemOf(args?.value, args?.property ?? '', check) ?? '',
    },
  });

function problemOf(value: unknown, name: string, check?: (key: string, value: string) => string | undefined) {
  const problem = pairsProblem(value, name);
  if (problem !== undefined || check === undefined) return problem;
  for (const [k, v] of Object.entries(parsePairs(value as string, name))) {
    const bad = check(k, v);
    if (bad) return `${name}: ${bad}`;
  }
  return undefined;
}

const ROUTES = [...BACKEND_KINDS, 'auto'];

/** OpenAI voice names → espeak-ng voices (language, or language+variant). */
const ESPEAK_VOICE_MAP =
  'alloy=en-us,ash=en-us+m3,ballad=en-gb-x-rp,coral=en-us+f2,echo=en-gb,fable=en-gb-scotland,' +
  'nova=en-us+f3,onyx=en-us+m7,sage=en-gb+f4,shimmer=en-us+f4,verse=en-us+m2,marin=en-us+f5,cedar=en-gb+m4';

/** Kokoro-FastAPI voices, and OpenAI voice names mapped to them. */
const KOKORO_VOICES = [
  'af_alloy',
  'af_heart',
  'af_nova',
  'af_sky',
  'am_echo',
  'am_onyx',
  'bm_fable',
  'am_adam',
  'bf_emma',
  'am_michael',
  'af_sarah',
];
const KOKORO_VOICE_MAP =
  'alloy=af_alloy,ash=am_adam,ballad=bf_emma,coral=af_heart,echo=am_echo,fable=bm_fable,' +
  'nova=af_nova,onyx=am_onyx,sage=af_sarah,shimmer=af_sky,verse=am_michael,marin=af_heart,cedar=am_adam';

class TtsEnv {
  /** Longest `input` of `POST /v1/audio/speech`, in characters (OpenAI's limit: 4,096). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  TTS_MAX_INPUT_CHARS: number = 4_096;

  /** Longest text of the native `POST /v1/tts`, in characters (413 beyond). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  TTS_NATIVE_MAX_CHARS: number = 20_000;

  /**
   * A native `POST /v1/tts` text longer than this many characters runs as a platform job (202 +
   * job id, progress per chunk); shorter ones are answered at once.
   */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  TTS_NATIVE_JOB_CHARS: number = 4_096;

  /** Speech requests per caller per minute, per route. */
  @EnvInt()
  @IsInt()
  @Min(1)
  TTS_SPEECH_PER_MINUTE: number = 60;

  /**
   * Models callers may name and the backend each uses (`openai`, `piper`, `espeak`, or `auto`:
   * the first available of those, in that order).
   */
  @IsPairs((k, v) => (ROUTES.includes(v) ? undefined : `${k} → ${v} is not one of ${ROUTES.join(', ')}`))
  TTS_MODELS: string = 'tts-1=auto,tts-1-hd=auto,gpt-4o-mini-tts=auto,espeak=espeak,piper=piper,kokoro=openai';

  /** Use the local engine (espeak-ng) when it is installed. */
  @EnvBoolean()
  @IsBoolean()
  TTS_ESPEAK_ENABLED: boolean = true;

  /** The espeak-ng binary (a Debian package; found on PATH). */
  @IsString()
  TTS_ESPEAK_COMMAND: string = 'espeak-ng';

  /** espeak-ng processes at once (across requests). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(64)
  TTS_ESPEAK_CONCURRENCY: number = availableParallelism();

  /** OpenAI voice names → espeak-ng voices (`language` or `language+variant`); default: ESPEAK_VOICE_MAP in tts.config.ts (alloy=en-us, echo=en-gb, nova=en-us+f3, …). */
  @IsPairs()
  TTS_ESPEAK_VOICE_MAP: string = ESPEAK_VOICE_MAP;

  /** Encode mp3/opus/aac/flac with ffmpeg when it is installed. */
  @EnvBoolean()
  @IsBoolean()
  TTS_FFMPEG_ENABLED: boolean = true;

  /** The ffmpeg binary (a Debian package; found on PATH). */
  @IsString()
  TTS_FFMPEG_COMMAND: string = 'ffmpeg';

  /** Servers speaking OpenAI's `/v1/audio/speech` (Kokoro-FastAPI, openedai-speech), comma-separated. */
  @EnvList()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { each: true })
  TTS_OPENAI_URLS: string[] = [];

  /** `model` sent to those servers. */
  @IsString()
  TTS_OPENAI_MODEL: string = 'kokoro';

  /** Sample rate their WAV answers must have (Kokoro: 24,000). */
  @EnvInt()
  @IsInt()
  @Min(8_000)
  @Max(192_000)
  TTS_OPENAI_SAMPLE_RATE: number = 24_000;

  /** Their voices, comma-separated; default: KOKORO_VOICES in tts.config.ts (Kokoro's af_alloy, af_heart, …). */
  @EnvList()
  @IsString({ each: true })
  TTS_OPENAI_VOICES: string[] = KOKORO_VOICES;

  /** OpenAI voice names → their voices; default: KOKORO_VOICE_MAP in tts.config.ts (alloy=af_alloy, echo=am_echo, …). */
  @IsPairs()
  TTS_OPENAI_VOICE_MAP: string = KOKORO_VOICE_MAP;

  /** Piper HTTP servers (`python3 -m piper.http_server`), comma-separated; all run the same voice. */
  @EnvList()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { each: true })
  TTS_PIPER_URLS: string[] = [];

  /** The voice those Piper servers run; every OpenAI voice name maps to it. */
  @IsString()
  TTS_PIPER_VOICE: string = 'en_US-lessac-medium';

  /** Sample rate of that voice (its .onnx.json `audio.sample_rate`). */
  @EnvInt()
  @IsInt()
  @Min(8_000)
  @Max(192_000)
  TTS_PIPER_SAMPLE_RATE: number = 22_050;

  /** Time allowed for one chunk from a remote backend. */
  @EnvInt()
  @IsInt()
  @Min(100)
  TTS_TIMEOUT_MS: number = 60_000;

  /** Remote speech servers are probed this often. */
  @EnvInt()
  @IsInt()
  @Min(200)
  TTS_HEALTH_INTERVAL_MS: number = 5_000;

  /** The first chunk of a long text is at most this long (small: it sets the time to first audio). */
  @EnvInt()
  @IsInt()
  @Min(20)
  TTS_FIRST_CHUNK_CHARS: number = 120;

  /** Later chunks share the rest of the text, none longer than this many characters. */
  @EnvInt()
  @IsInt()
  @Min(50)
  TTS_CHUNK_CHARS: number = 1_000;

  /**
   * Chunks of one request synthesised at once, and the number of shares the rest of a long text
   * is split into after its first chunk. Default: the CPU count, as the local engine is CPU-bound.
   */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(32)
  TTS_PARALLEL_CHUNKS: number = availableParallelism();

  /** Crossfade at each join of chunks. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(200)
  TTS_CROSSFADE_MS: number = 10;
}

export const ttsConfig = defineEnvNamespace('tts', TtsEnv, (env) => ({
  maxInputChars: env.TTS_MAX_INPUT_CHARS,
  speechPerMinute: env.TTS_SPEECH_PER_MINUTE,
  nativeMaxChars: env.TTS_NATIVE_MAX_CHARS,
  nativeJobChars: env.TTS_NATIVE_JOB_CHARS,
  models: parsePairs(env.TTS_MODELS, 'TTS_MODELS') as Record<string, BackendKind | 'auto'>,
  espeak: {
    enabled: env.TTS_ESPEAK_ENABLED,
    command: env.TTS_ESPEAK_COMMAND,
    concurrency: env.TTS_ESPEAK_CONCURRENCY,
    aliases: parsePairs(env.TTS_ESPEAK_VOICE_MAP, 'TTS_ESPEAK_VOICE_MAP'),
  },
  ffmpeg: { enabled: env.TTS_FFMPEG_ENABLED, command: env.TTS_FFMPEG_COMMAND },
  openai: {
    urls: env.TTS_OPENAI_URLS,
    model: env.TTS_OPENAI_MODEL,
    sampleRate: env.TTS_OPENAI_SAMPLE_RATE,
    voices: env.TTS_OPENAI_VOICES,
    aliases: parsePairs(env.TTS_OPENAI_VOICE_MAP, 'TTS_OPENAI_VOICE_MAP'),
  },
  piper: { urls: env.TTS_PIPER_URLS, voice: env.TTS_PIPER_VOICE, sampleRate: env.TTS_PIPER_SAMPLE_RATE },
  timeoutMs: env.TTS_TIMEOUT_MS,
  healthIntervalMs: env.TTS_HEALTH_INTERVAL_MS,
  firstChunkChars: env.TTS_FIRST_CHUNK_CHARS,
  chunkChars: env.TTS_CHUNK_CHARS,
  parallelChunks: env.TTS_PARALLEL_CHUNKS,
  crossfadeMs: env.TTS_CROSSFADE_MS,
}));
export type TtsConfig = ReturnType<typeof ttsConfig>;
