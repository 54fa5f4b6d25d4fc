import { Counter, Histogram } from 'prom-client';
import type { MetricsService } from '../../platform/metrics';
import type { AudioQualityReport } from './audio/audio-quality';

/** Prometheus metrics of the `tts` service, including the quality report of every answer. */
export class TtsMetrics {
  readonly requests: Counter<'backend' | 'format' | 'outcome'>;
  readonly firstAudio: Histogram<'backend' | 'streamed'>;
  readonly synthesis: Histogram<'backend'>;
  readonly rms: Histogram<'backend'>;
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
    for (const flag of report.flags) this.flags.inc({ backend, flag });
  }
}
