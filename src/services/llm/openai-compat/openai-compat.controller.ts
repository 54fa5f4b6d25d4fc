import { Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequestValidationError, ResourceNotFoundError } from '../../../platform/errors';
import { abortOnDisconnect, JsonBody as AnyTypeJsonBody, requestIdOf, waitForDrain } from '../../../platform/http';
import { ServiceRoute } from '../../../platform/registry';
import { FlagOnlyInput } from '../../../platform/security';
import { streamProblem } from '../../../platform/streaming';
import type { UpstreamResponse } from '../../../platform/upstream';
import { LLM_SERVICE } from '../llm-gateway.service';
import { LlmRequestPolicy } from '../llm-request-policy';
import { ChatRateLimit, EmbedRateLimit } from '../llm-route-limits';
import { LlmStreamLimiter } from '../llm-stream-limiter';
import { OllamaRelay } from '../ollama-relay.service';
import type { OllamaChunk, OllamaEmbedResponse, OllamaTagsResponse } from '../ollama.types';
import { openAiError, OpenAiErrorFilter } from './openai-error.filter';
import {
  completionId,
  finishOf,
  toBase64Vector,
  toCompletion,
  toCompletionChunk,
  toOllamaMessages,
  toOllamaOptions,
  usageOf,
} from './openai-mapping';

/** A drop-in client's JSON body; not a class, so the global ValidationPipe leaves it to the policy checks. */
type JsonBody = Record<string, unknown>;

const OPENAI_BODY = {
  schema: { type: 'object', additionalProperties: true },
  description: "OpenAI's request body, as its API documents it",
};

const modelEntry = (m: OllamaTagsResponse['models'][number]) => ({
  id: m.name,
  object: 'model',
  created: Math.floor(Date.parse(m.modified_at) / 1000) || 0,
  owned_by: 'ollama',
});

/**
 * OpenAI-compatible chat completions, embeddings and models over the same Ollama pool, so
 * OpenAI SDKs work with `baseURL: https://fennec.example/v1` and a Fennec API key as `apiKey`.
 */
@ApiTags('llm-openai')
@ServiceRoute(LLM_SERVICE)
@UseFilters(OpenAiErrorFilter)
@FlagOnlyInput('body.messages', 'body.input')
@Controller({ version: '1' })
export class OpenAiCompatController {
  constructor(
    private readonly llm: OllamaRelay,
    private readonly policy: LlmRequestPolicy,
    private readonly streams: LlmStreamLimiter,
  ) {}

  @Get('models')
  @ApiOperation({ operationId: 'openAiListModels', summary: 'OpenAI-compatible model list' })
  @ApiOkResponse({ description: '{ object: "list", data: [{ id, object: "model", created, owned_by }] }' })
  async models(@Req() req: Request) {
    const tags = await this.llm.tags(this.ctx(req));
    return { object: 'list', data: tags.models.map(modelEntry) };
  }

  @Get('models/:model')
  @ApiOperation({ operationId: 'openAiGetModel', summary: 'OpenAI-compatible model lookup' })
  @ApiOkResponse({ description: '{ id, object: "model", created, owned_by }' })
  async model(@Param('model') name: string, @Req() req: Request) {
    const tags = await this.llm.tags(this.ctx(req));
    const found = tags.models.find((m) => m.name === name || m.name === `${name}:latest`);
    if (!found) throw new ResourceNotFoundError('LLM.MODEL_NOT_FOUND', `Model "${name}" not found`);
    return modelEntry(found);
  }

  @Post('chat/completions')
  @HttpCode(200)
  @ChatRateLimit()
  @ApiOperation({
    operationId: 'openAiChatCompletions',
    summary: 'OpenAI-compatible chat completion (stream: true → SSE chunks, then data: [DONE])',
  })
  @ApiBody(OPENAI_BODY)
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'A chat.completion, or chat.completion.chunk events' })
  async chat(@AnyTypeJsonBody() sent: JsonBody | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = sent ?? {};
    const model = this.policy.model(body.model, 'chat');
    const messages = toOllamaMessages(body.messages);
    this.policy.messages(messages);
    const { options, format } = toOllamaOptions(body);
    const upstreamBody = { model, messages, options, format };
    const id = completionId();
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) {
      const out = await this.llm.json<OllamaChunk>(
        'chat',
        '/api/chat',
        { ...upstreamBody, stream: false },
        this.ctx(req),
      );
      res.status(200).json(toCompletion(id, created, out));
      return;
    }
    const includeUsage = (body.stream_options as JsonBody | undefined)?.include_usage === true;
    await this.streams.admit(req);
    const upstream = await this.llm.send('chat', '/api/chat', { ...upstreamBody, stream: true }, this.ctx(req));
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    // Not awaited: a handler kept pending for the life of a stream would hold Nest's request pipeline.
    void this.pump(req, res, upstream, { id, created, model, includeUsage });
  }

  private async pump(
    req: Request,
    res: Response,
    upstream: UpstreamResponse,
    c: { id: string; created: number; model: string; includeUsage: boolean },
  ): Promise<void> {
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    send(toCompletionChunk(c.id, c.created, c.model, { role: 'assistant', content: '' }));
    try {
      await this.llm.relay('chat', upstream, (_raw, chunkOf) => {
        if (res.destroyed) return false;
        const chunk = chunkOf();
        if (chunk.done) {
          send(toCompletionChunk(c.id, c.created, chunk.model, {}, finishOf(chunk)));
          if (c.includeUsage) {
            send({ ...toCompletionChunk(c.id, c.created, chunk.model, {}), choices: [], usage: usageOf(chunk) });
          }
          res.write('data: [DONE]\n\n');
          return;
        }
        const content = chunk.message?.content ?? '';
        if (content !== '' && !send(toCompletionChunk(c.id, c.created, chunk.model, { content }))) {
          return waitForDrain(res);
        }
      });
    } catch (err) {
      // OpenAI's clients raise an `error` object found in a stream event.
      if (!res.destroyed) send(openAiError(streamProblem(err, req.originalUrl, requestIdOf(req) ?? '')));
    }
    if (!res.destroyed) res.end();
  }

  @Post('embeddings')
  @HttpCode(200)
  @EmbedRateLimit()
  @ApiOperation({ operationId: 'openAiEmbeddings', summary: 'OpenAI-compatible embeddings (float or base64)' })
  @ApiBody(OPENAI_BODY)
  @ApiOkResponse({ description: '{ object: "list", data: [{ object: "embedding", index, embedding }], model, usage }' })
  async embeddings(@AnyTypeJsonBody() sent: JsonBody | undefined, @Req() req: Request) {
    const body = sent ?? {};
    const model = this.policy.model(body.model, 'embed');
    const input = this.policy.embedInput(body.input);
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      throw new RequestValidationError('encoding_format must be float or base64', {
        fieldErrors: [{ field: 'encoding_format', message: 'must be float or base64' }],
      });
    }
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
    const out = await this.llm.json<OllamaEmbedResponse>(
      'embed',
      '/api/embed',
      { model, input, dimensions },
      this.ctx(req),
    );
    const tokens = out.prompt_eval_count ?? 0;
    return {
      object: 'list',
      data: out.embeddings.map((v, index) => ({
        object: 'embedding',
        index,
        embedding: format === 'base64' ? toBase64Vector(v) : v,
      })),
      model: out.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  private ctx(req: Request) {
    return { signal: abortOnDisconnect(req), requestId: requestIdOf(req) };
  }
}
