import { Counter, Histogram } from 'prom-client';
import type { MetricsService } from '../../platform/metrics';
import type { AudioQualityReport } from './audio/audio-quality';

/** Prometheus metrics of the `tts` service, including the quality report of every answer. */
export class TtsMetrics {
  readonly requests: Counter<'backend' | 'format' | 'outcome'>;
  readonly firstAudio: Histogram<'backend' | 'streamed'>;
  readonly synthesis: Histogram<'backend'>;
  readonly rms: Histogram<'backend'>;
  readonly durationRatio: Histogram<'backend'>;
  readonly silenceRatio: Histogram<'backend'>;
  readonly clippingRatio: Histogram<'backend'>;
  readonly flags: Counter<'backend' | 'flag'>;
  readonly rejectedAudio: Counter<'backend'>;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: metrics.name('tts_requests_total'),
      help: 'Speech requests by backend, response format and outcome',
      labelNames: ['backend', 'format', 'outcome'],
      registers,
    });
    this.firstAudio = new Histogram({
      name: metrics.name('tts_time_to_first_audio_seconds'),
      help: 'From the request to the first audio byte ready to write (streamed: false, true for chunked audio, sse)',
      labelNames: ['backend', 'streamed'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.synthesis = new Histogram({
      name: metrics.name('tts_synthesis_seconds'),
      help: 'Time to synthesise one chunk of text, by backend',
      labelNames: ['backend'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rms = new Histogram({
      name: metrics.name('tts_output_rms_dbfs'),
      help: 'RMS loudness of produced speech (dBFS)',
      labelNames: ['backend'],
      buckets: [-90, -60, -50, -40, -30, -24, -18, -12, -6, 0],
      registers,
    });
    this.durationRatio = new Histogram({
      name: metrics.name('tts_output_duration_ratio'),
      help: 'Duration of produced speech over the length expected for its text and speed',
      labelNames: ['backend'],
      buckets: [0.25, 0.33, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4],
      registers,
    });
    this.silenceRatio = new Histogram({
      name: metrics.name('tts_output_silence_ratio'),
      help: 'Share of 20 ms frames of produced speech below -50 dBFS',
      labelNames: ['backend'],
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.9, 1],
      registers,
    });
    this.clippingRatio = new Histogram({
      name: metrics.name('tts_output_clipping_ratio'),
      help: 'Share of samples of produced speech at full scale',
      labelNames: ['backend'],
      buckets: [0, 0.0001, 0.001, 0.01, 0.1, 1],
      registers,
    });
    this.flags = new Counter({
      name: metrics.name('tts_quality_flags_total'),
      help: 'Answers flagged by the audio quality report (silent, clipped, duration_mismatch)',
      labelNames: ['backend', 'flag'],
      registers,
    });
    this.rejectedAudio = new Counter({
      name: metrics.name('tts_rejected_audio_total'),
      help: 'Audio refused because it did not parse or was not what was asked for (answered 502)',
      labelNames: ['backend'],
      registers,
    });
  }

  quality(backend: string, report: AudioQualityReport): void {
    this.rms.observe({ backend }, report.rmsDbfs);
    this.durationRatio.observe({ backend }, report.durationRatio);
    this.silenceRatio.observe({ backend }, report.silenceRatio);
    this.clippingRatio.observe({ backend }, report.clippingRatio);
    for (const flag of report.flags) this.flags.inc({ backend, flag });
  }
}
