import { Body, Controller, Get, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ServiceRoute } from '../../platform/registry';
import { FlagOnlyInput } from '../../platform/security';
import { abortOnDisconnect, requestIdOf } from '../../platform/http';
import { SseStreams } from '../../platform/streaming';
import { OpenAiErrorFilter } from '../llm';
import { FORMAT_SPECS, SPEECH_FORMATS } from './audio/audio-formats';
import { speechDeltas, type SpeechAudioDone } from './speech-events';
import { SSE_PIECE_BYTES, speechFileBytes, STREAMED_FORMATS, type StreamedFileFacts } from './speech-file-stream';
import { parseSpeechRequest, STREAM_FORMATS } from './speech-request';
import { SpeechRateLimit } from './tts-route-limits';
import { type SpeechPlan, TTS_SERVICE, TtsService } from './tts.service';

const SPEECH_BODY = {
  schema: {
    type: 'object',
    required: ['model', 'input', 'voice'],
    properties: {
      model: { type: 'string', example: 'tts-1' },
      input: { type: 'string', maxLength: 4096 },
      voice: {
        oneOf: [
          { type: 'string', example: 'alloy' },
          { type: 'object', required: ['id'], properties: { id: { type: 'string', example: 'en-gb' } } },
        ],
      },
      response_format: { type: 'string', enum: [...SPEECH_FORMATS], default: 'mp3' },
      speed: { type: 'number', minimum: 0.25, maximum: 4, default: 1 },
      stream_format: {
        type: 'string',
        enum: [...STREAM_FORMATS],
        default: 'audio',
        description:
          "`sse`: OpenAI's speech.audio.delta events (base64 audio) then speech.audio.done; not for tts-1 or tts-1-hd, as at OpenAI",
      },
    },
  },
  description: "OpenAI's speech request",
};

/**
 * OpenAI-compatible speech: `POST /v1/audio/speech` and `GET /v1/audio/voices`, so OpenAI SDKs
 * work with `baseURL: https://fennec.example/v1`. Errors in OpenAI's dialect.
 */
@ApiTags('tts-openai')
@ServiceRoute(TTS_SERVICE)
@UseFilters(OpenAiErrorFilter)
@FlagOnlyInput('body.input')
@Controller({ path: 'audio', version: '1' })
export class TtsController {
  constructor(
    private readonly tts: TtsService,
    private readonly sse: SseStreams,
  ) {}

  @Get('voices')
  @ApiOperation({
    operationId: 'ttsListVoices',
    summary: 'Voices of the available speech backends, with the OpenAI names mapped to them',
  })
  @ApiOkResponse({
    description:
      '{ object: "list", data: [{ id, backend, language?, name?, aliases }], voices: [ids], models, formats }',
  })
  voices() {
    const data = this.tts.voices();
    return {
      object: 'list',
      data,
      voices: [...new Set(data.map((v) => v.id))],
      models: Object.keys(this.tts.config.models),
      formats: this.tts.formats(),
    };
  }

  @Post('speech')
  @HttpCode(200)
  @SpeechRateLimit()
  @ApiOperation({
    operationId: 'ttsCreateSpeech',
    summary:
      'OpenAI-compatible text to speech; wav, pcm and mp3 of several sentences stream as each sentence chunk is ready; stream_format sse gives OpenAI speech events',
  })
  @ApiBody(SPEECH_BODY)
  @ApiProduces(...Object.values(FORMAT_SPECS).map((s) => s.contentType), 'text/event-stream')
  @ApiOkResponse({
    description:
      'The audio bytes (X-TTS-* headers name the backend, voice and, unstreamed, the quality report); with stream_format sse, speech.audio.delta events and a terminal done event whose data is speech.audio.done',
  })
  async speech(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const began = process.hrtime.bigint();
    const request = parseSpeechRequest(body, this.tts.config.maxInputChars);
    const plan = this.tts.plan(request, { signal: abortOnDisconnect(req), requestId: requestIdOf(req) });
    if (request.streamFormat === 'sse') return this.events(plan, req, res, began);
    const labels = { backend: plan.backend.kind, format: plan.format };
    const streamed = STREAMED_FORMATS.includes(plan.format) && plan.chunks.length > 1;
    try {
      if (streamed) await this.stream(plan, res, began);
      else {
        const file = await this.tts.render(plan);
        res.status(200).set({
          'content-type': file.contentType,
          'content-length': String(file.bytes.length),
          ...this.identity(plan),
          'x-audio-duration': file.facts.durationSeconds.toFixed(3),
          'x-audio-sample-rate': String(file.facts.sampleRate),
          'x-tts-quality': JSON.stringify(file.quality),
        });
        res.end(file.bytes);
        this.tts.metrics.firstAudio.observe({ backend: plan.backend.kind, streamed: 'false' }, secondsSince(began));
      }
      this.tts.metrics.requests.inc({ ...labels, outcome: 'ok' });
    } catch (err) {
      this.tts.metrics.requests.inc({ ...labels, outcome: res.headersSent ? 'broken' : 'error' });
      // After the headers, a failure can only be shown by breaking the transfer: a silently short file is worse.
      if (res.headersSent) res.destroy(err as Error);
      else throw err;
    }
  }

  /**
   * `stream_format: "sse"` through the platform's SSE toolkit: a `speech.audio.delta` event per
   * piece of the file as it is ready, then the terminal `done` event carrying OpenAI's
   * `speech.audio.done` object (clients that read only `data:` lines see exactly OpenAI's stream).
   * The first piece is awaited before the stream opens, so its failure is still an HTTP error.
   */
  private async events(plan: SpeechPlan, req: Request, res: Response, began: bigint): Promise<void> {
    const labels = { backend: plan.backend.kind, format: plan.format };
    const done: SpeechAudioDone = {
      type: 'speech.audio.done',
      usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
    };
    const bytes = speechFileBytes(this.tts, plan, done, SSE_PIECE_BYTES);
    let first: IteratorResult<Buffer>;
    try {
      first = await bytes.next();
    } catch (err) {
      this.tts.metrics.requests.inc({ ...labels, outcome: 'error' });
      throw err;
    }
    this.tts.metrics.firstAudio.observe({ backend: plan.backend.kind, streamed: 'sse' }, secondsSince(began));
    for (const [name, value] of Object.entries(this.identity(plan))) res.setHeader(name, value);
    const stream = this.sse.stream(req, res, speechDeltas(first, bytes), { doneData: done });
    // `quality` is set only once the whole file was produced.
    void stream.ended.then(() => this.tts.metrics.requests.inc({ ...labels, outcome: done.quality ? 'ok' : 'broken' }));
  }

  private identity(plan: SpeechPlan): Record<string, string> {
    return { 'x-tts-model': plan.model, 'x-tts-backend': plan.backend.kind, 'x-tts-voice': plan.voice };
  }

  /**
   * Writes audio as each chunk is final. The status and headers wait for the first chunk, so a
   * failure of the first one is still a proper error; the quality report follows as a trailer.
   */
  private async stream(plan: SpeechPlan, res: Response, began: bigint): Promise<void> {
    const facts: StreamedFileFacts = {};
    for await (const bytes of speechFileBytes(this.tts, plan, facts)) {
      if (res.destroyed) return;
      if (!res.headersSent) {
        res.writeHead(200, {
          'content-type': FORMAT_SPECS[plan.format].contentType,
          ...this.identity(plan),
          'x-audio-sample-rate': String(facts.sampleRate),
          trailer: 'x-tts-quality',
        });
        res.flushHeaders();
        this.tts.metrics.firstAudio.observe({ backend: plan.backend.kind, streamed: 'true' }, secondsSince(began));
      }
      if (!res.write(bytes)) await drained(res);
    }
    if (!res.headersSent || res.destroyed) return;
    res.addTrailers({ 'x-tts-quality': JSON.stringify(facts.quality) });
    res.end();
  }
}

const secondsSince = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9;

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
