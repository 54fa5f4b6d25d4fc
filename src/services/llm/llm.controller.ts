import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { abortOnDisconnect, requestIdOf } from '../../platform/http';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { FlagOnlyInput } from '../../platform/security';
import { sseEvent, type SseMessage, SseStreams } from '../../platform/streaming';
import { ChatRequestDto, ChatResponseDto } from './dto/chat.dto';
import { EmbeddingsRequestDto, EmbeddingsResponseDto } from './dto/embeddings.dto';
import { GenerateRequestDto, GenerateResponseDto } from './dto/generate.dto';
import { type LlmStatsDto, statsOf } from './dto/llm-stats.dto';
import { LlmModelListDto } from './dto/models.dto';
import { LLM_SERVICE } from './llm-gateway.service';
import { LlmRequestPolicy } from './llm-request-policy';
import { ChatRateLimit, EmbedRateLimit } from './llm-route-limits';
import { LlmStreamLimiter } from './llm-stream-limiter';
import { OllamaRelay } from './ollama-relay.service';
import { chunkText, type OllamaChunk, type OllamaEmbedResponse } from './ollama.types';

const wantsStream = (req: Request, stream?: boolean) =>
  stream === true || (stream === undefined && (req.headers.accept ?? '').includes('text/event-stream'));

/** Fennec's own LLM API: JSON answers, or SSE `token` events then `done` with Ollama's counts. */
@ApiTags('llm')
@ServiceRoute(LLM_SERVICE)
@FlagOnlyInput('body.messages', 'body.prompt', 'body.system', 'body.input', 'body.images')
@Controller({ path: 'llm', version: '1' })
export class LlmController {
  constructor(
    private readonly llm: OllamaRelay,
    private readonly policy: LlmRequestPolicy,
    private readonly sse: SseStreams,
    private readonly streams: LlmStreamLimiter,
  ) {}

  @Get('models')
  @ApiOperation({ operationId: 'listLlmModels', summary: 'Models available on Ollama (narrowed to the allow-list)' })
  @ApiOkResponse({ type: LlmModelListDto })
  @ApiProblems(401, 403, 429, 502, 503, 504)
  async models(@Req() req: Request): Promise<LlmModelListDto> {
    const tags = await this.llm.tags({ signal: abortOnDisconnect(req), requestId: requestIdOf(req) });
    return {
      models: tags.models.map((m) => ({
        name: m.name,
        size: m.size,
        modifiedAt: m.modified_at,
        family: m.details?.family as string | undefined,
        parameterSize: m.details?.parameter_size as string | undefined,
        quantization: m.details?.quantization_level as string | undefined,
      })),
    };
  }

  @Post('chat')
  @HttpCode(200)
  @ChatRateLimit()
  @ApiOperation({
    operationId: 'llmChat',
    summary:
      'Chat completion: JSON, or SSE (`token` events, then `done`) with stream: true or Accept: text/event-stream',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: ChatResponseDto })
  @ApiProblems(400, 401, 403, 404, 413, 429, 502, 503, 504)
  async chat(@Body() body: ChatRequestDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const model = this.policy.model(body.model, 'chat');
    this.policy.messages(body.messages);
    const upstreamBody = { model, messages: body.messages, options: body.options };
    if (wantsStream(req, body.stream)) return this.stream(req, res, 'chat', '/api/chat', upstreamBody);
    const out = await this.llm.json<OllamaChunk>(
      'chat',
      '/api/chat',
      { ...upstreamBody, stream: false },
      this.ctx(req),
    );
    const answer: ChatResponseDto = {
      ...statsOf(out),
      message: { role: out.message?.role ?? 'assistant', content: out.message?.content ?? '' },
    };
    res.status(200).json(answer);
  }

  @Post('generate')
  @HttpCode(200)
  @ChatRateLimit()
  @ApiOperation({
    operationId: 'llmGenerate',
    summary: 'Completion of a prompt (optionally with base64 images): JSON, or SSE like chat',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: GenerateResponseDto })
  @ApiProblems(400, 401, 403, 404, 413, 429, 502, 503, 504)
  async generate(@Body() body: GenerateRequestDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const model = this.policy.model(body.model, 'chat');
    this.policy.prompt(body.prompt, body.system);
    const upstreamBody = {
      model,
      prompt: body.prompt,
      system: body.system,
      images: body.images,
      options: body.options,
    };
    if (wantsStream(req, body.stream)) return this.stream(req, res, 'generate', '/api/generate', upstreamBody);
    const out = await this.llm.json<OllamaChunk>(
      'generate',
      '/api/generate',
      { ...upstreamBody, stream: false },
      this.ctx(req),
    );
    const answer: GenerateResponseDto = { ...statsOf(out), response: out.response ?? '' };
    res.status(200).json(answer);
  }

  @Post('embeddings')
  @HttpCode(200)
  @EmbedRateLimit()
  @ApiOperation({ operationId: 'llmEmbeddings', summary: 'Embeddings of one text or a batch (Ollama /api/embed)' })
  @ApiOkResponse({ type: EmbeddingsResponseDto })
  @ApiProblems(400, 401, 403, 404, 413, 429, 502, 503, 504)
  async embeddings(@Body() body: EmbeddingsRequestDto, @Req() req: Request): Promise<EmbeddingsResponseDto> {
    const model = this.policy.model(body.model, 'embed');
    const input = this.policy.embedInput(body.input);
    const out = await this.llm.json<OllamaEmbedResponse>(
      'embed',
      '/api/embed',
      { model, input, dimensions: body.dimensions },
      this.ctx(req),
    );
    return { model: out.model, embeddings: out.embeddings, promptTokens: out.prompt_eval_count };
  }

  private ctx(req: Request) {
    return { signal: abortOnDisconnect(req), requestId: requestIdOf(req) };
  }

  /**
   * Opens the Ollama stream first, so a refusal (unknown model, no instance) is still a plain
   * problem answer; then relays its chunks as `token` events and its final chunk as `done`.
   */
  private async stream(
    req: Request,
    res: Response,
    operation: 'chat' | 'generate',
    path: string,
    body: object,
  ): Promise<void> {
    await this.streams.admit(req);
    const upstream = await this.llm.send(operation, path, { ...body, stream: true }, this.ctx(req));
    const done = {} as LlmStatsDto;
    const tokens = this.llm.chunks(operation, upstream, (chunk): SseMessage<{ text: string }> | undefined => {
      if (chunk.done) {
        Object.assign(done, statsOf(chunk));
        return undefined;
      }
      const text = chunkText(chunk);
      return text === '' ? undefined : sseEvent('token', { text });
    });
    void this.sse.stream(req, res, tokens, { doneData: done });
  }
}
