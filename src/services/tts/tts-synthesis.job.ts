import { Injectable } from '@nestjs/common';
import { JobKind, type JobContext, type JobKindHandler } from '../../platform/jobs';
import type { SpeechFormat } from './audio/audio-formats';
import type { SynthesisDto } from './dto/synthesis.dto';
import { tenantOf } from './tts-tenant';
import { TtsService } from './tts.service';

export const TTS_SYNTHESIS_JOB = 'tts.synthesis';

/** What a long `POST /v1/tts` stores as the job's payload (the tenant comes with the job). */
export interface SynthesisJobPayload {
  text: string;
  voice: string;
  model?: string;
  format?: SpeechFormat;
  speed?: number;
}

/**
 * Long native speech as a platform job: chunks are synthesised in parallel (across the
 * instances of a remote backend's pool) and each finished chunk is a progress event; cancel
 * aborts `ctx.signal`, which kills the espeak-ng and ffmpeg processes and aborts upstream
 * requests. The result is what the synchronous route answers: the stored audio's record with
 * its quality report. Idempotent: a run again after a crash only stores a new file.
 */
@JobKind({
  name: TTS_SYNTHESIS_JOB,
  concurrency: 2,
  timeoutMs: 30 * 60_000,
  idempotent: true,
  description: 'Long text to speech for POST /v1/tts',
})
@Injectable()
export class TtsSynthesisJob implements JobKindHandler<SynthesisJobPayload, SynthesisDto> {
  constructor(private readonly tts: TtsService) {}

  run(payload: SynthesisJobPayload, ctx: JobContext): Promise<SynthesisDto> {
    return this.tts.synthesizeAndStore(tenantOf(ctx.caller), payload, {
      signal: ctx.signal,
      onChunk: (done, total) =>
        ctx.progress({ value: done, max: total, stage: 'synthesis', message: `chunk ${done} of ${total} spoken` }),
    });
  }
}
