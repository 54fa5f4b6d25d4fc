/** Formats of OpenAI's `response_format`. */
export const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

/** Produced in-process; the others need ffmpeg. */
export const IN_PROCESS_FORMATS: readonly SpeechFormat[] = ['wav', 'pcm'];

/** `pcm` is raw s16le mono at OpenAI's rate, so OpenAI clients play it unchanged. */
export const PCM_SAMPLE_RATE = 24_000;

interface FormatSpec {
  contentType: string;
  /** music-metadata's `format.container` and `format.codec` for a file of this format. */
  container?: RegExp;
  codec?: RegExp;
  /** ffmpeg output arguments (after the input). */
  ffmpeg?: string[];
  /** Encoders that only run at fixed rates encode at this one. */
  sampleRate?: number;
}

export const FORMAT_SPECS: Record<SpeechFormat, FormatSpec> = {
  wav: { contentType: 'audio/wav', container: /^WAVE$/, codec: /^PCM$/ },
  pcm: { contentType: 'audio/pcm' },
  mp3: {
    contentType: 'audio/mpeg',
    container: /^MPEG$/,
    codec: /Layer 3/,
    ffmpeg: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  },
  // Opus runs at 48 kHz internally; asking for it keeps the declared rate honest.
  opus: {
    contentType: 'audio/ogg',
    container: /^Ogg$/,
    codec: /Opus/,
    ffmpeg: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
    sampleRate: 48_000,
  },
  aac: {
    contentType: 'audio/aac',
    container: /^ADTS/,
    codec: /AAC/,
    ffmpeg: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'],
  },
  flac: { contentType: 'audio/flac', container: /^FLAC$/, codec: /FLAC/, ffmpeg: ['-c:a', 'flac', '-f', 'flac'] },
};
