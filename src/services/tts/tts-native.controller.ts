import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type Caller, CurrentCaller } from '../../platform/context';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { FlagOnlyInput } from '../../platform/security';
import { abortOnDisconnect, requestIdOf } from '../../platform/http';
import { acceptJob, ApiJobSubmission, idempotencyKeyOf, type JobDto, JobsService } from '../../platform/jobs';
import { SynthesisDto, SynthesisIdParamDto } from './dto/synthesis.dto';
import { SynthesisRequestDto } from './dto/synthesis-request.dto';
import { SpeechRateLimit } from './tts-route-limits';
import { type SynthesisJobPayload, TTS_SYNTHESIS_JOB } from './tts-synthesis.job';
import { tenantOf } from './tts-tenant';
import { TTS_SERVICE, TtsService } from './tts.service';

/**
 * Native speech: `POST /v1/tts` synthesises, checks, measures and stores the audio for the
 * caller's tenant: at once for short text, as a platform job (202) beyond TTS_NATIVE_JOB_CHARS;
 * `GET /v1/tts/:id` describes it and `GET /v1/tts/:id/audio` serves it with `Range` support.
 */
@ApiTags('tts')
@ServiceRoute(TTS_SERVICE)
@FlagOnlyInput('body.text')
@Controller({ path: 'tts', version: '1' })
export class TtsNativeController {
  constructor(
    private readonly tts: TtsService,
    private readonly jobs: JobsService,
  ) {}

  @Post()
  @HttpCode(201)
  @SpeechRateLimit()
  @ApiOperation({
    operationId: 'createSpeech',
    summary:
      'Synthesise, check and store speech: 201 with its id, duration, format, backend, voice and quality report; text over TTS_NATIVE_JOB_CHARS runs as a job (202, the same record as its result)',
  })
  @ApiCreatedResponse({ type: SynthesisDto })
  @ApiJobSubmission()
  @ApiProblems(400, 401, 403, 413, 429, 502, 503)
  async create(
    @Body() body: SynthesisRequestDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentCaller() caller: Caller,
  ): Promise<SynthesisDto | JobDto> {
    if (this.tts.runsAsJob(body.text)) {
      // Every 4xx (voice, model, format, length) now, not as a failed job later.
      this.tts.planNative(body);
      const payload: SynthesisJobPayload = {
        text: body.text,
        voice: body.voice,
        model: body.model,
        format: body.format,
        speed: body.speed,
      };
      const submitted = await this.jobs.submit(TTS_SYNTHESIS_JOB, payload, caller, {
        idempotencyKey: idempotencyKeyOf(req),
      });
      return acceptJob(res, submitted);
    }
    return this.tts.synthesizeAndStore(tenantOf(caller), body, {
      signal: abortOnDisconnect(req),
      requestId: requestIdOf(req),
    });
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getSpeech',
    summary: 'A stored speech file: format, duration, backend, voice, quality',
  })
  @ApiOkResponse({ type: SynthesisDto })
  @ApiProblems(400, 401, 403, 404)
  get(@Param() params: SynthesisIdParamDto, @CurrentCaller() caller: Caller | undefined): Promise<SynthesisDto> {
    return this.tts.store().get(tenantOf(caller), params.id);
  }

  @Get(':id/audio')
  @ApiOperation({ operationId: 'getSpeechAudio', summary: 'The stored audio (Range requests answered 206)' })
  @ApiProduces('audio/mpeg', 'audio/ogg', 'audio/aac', 'audio/flac', 'audio/wav', 'audio/pcm')
  @ApiOkResponse({ description: 'The audio bytes' })
  @ApiProblems(400, 401, 403, 404, 416)
  async audio(
    @Param() params: SynthesisIdParamDto,
    @CurrentCaller() caller: Caller | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const tenant = tenantOf(caller);
    const record = await this.tts.store().get(tenant, params.id);
    // Express's sendFile answers Range (206, 416), If-Range and conditional requests itself.
    await new Promise<void>((resolve, reject) =>
      res.sendFile(
        this.tts.store().audioPath(tenant, record.id),
        { headers: { 'content-type': record.contentType }, acceptRanges: true, dotfiles: 'deny' },
        (err?: Error) => (err && !res.headersSent ? reject(err) : resolve()),
      ),
    );
  }
}
