import { Controller, Get, HttpCode, Post, Req, Res, UseFilters, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequestValidationError } from '../../../platform/errors';
import { abortOnDisconnect, JsonBody as AnyTypeJsonBody, requestIdOf, waitForDrain } from '../../../platform/http';
import { ServiceRoute } from '../../../platform/registry';
import { FlagOnlyInput } from '../../../platform/security';
import type { UpstreamResponse } from '../../../platform/upstream';
import { LLM_SERVICE } from '../llm-gateway.service';
import { LlmRequestPolicy } from '../llm-request-policy';
import { ChatRateLimit, EmbedRateLimit } from '../llm-route-limits';
import { LlmStreamLimiter } from '../llm-stream-limiter';
import { OllamaRelay } from '../ollama-relay.service';
import { OllamaErrorFilter } from './ollama-error.filter';

/** A drop-in client's JSON body; not a class, so the global ValidationPipe leaves it to the policy checks. */
type JsonBody = Record<string, unknown>;

/**
 * Ollama answers a request without a body, or a /api/show naming no model, with 400 "model is
 * required"; the gateway's default model is for bodies that were read and name none.
 */
function modelRequired(): RequestValidationError {
  return new RequestValidationError('model is required', { fieldErrors: [{ field: 'model', message: 'is required' }] });
}

/** The body of a chat/generate/embed/show call; none at all is Ollama's "model is required". */
function required(body: JsonBody | undefined): JsonBody {
  if (body === undefined) throw modelRequired();
  return body;
}

const OLLAMA_BODY = {
  schema: { type: 'object', additionalProperties: true },
  description: "Ollama's request body, as its API documents it",
};

/**
 * Ollama's own HTTP API under `/ollama`, so Ollama clients work by changing their host to
 * `https://fennec.example/ollama` (and sending a Fennec API key). Bodies are read as JSON whatever
 * their Content-Type, as Ollama reads them, and pass through after the gateway's checks (model name, allow-list, sizes); answers and NDJSON
 * streams come back line for line, and errors as Ollama writes them (`{"error": "…"}`).
 */
@ApiTags('llm-ollama')
@ServiceRoute(LLM_SERVICE)
@UseFilters(OllamaErrorFilter)
@FlagOnlyInput('body.messages', 'body.prompt', 'body.system', 'body.input', 'body.images')
@Controller({ path: 'ollama', version: VERSION_NEUTRAL })
export class OllamaCompatController {
  constructor(
    private readonly llm: OllamaRelay,
    private readonly policy: LlmRequestPolicy,
    private readonly streams: LlmStreamLimiter,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'ollamaRoot', summary: 'Ollama-compatible: "Ollama is running"' })
  @ApiProduces('text/plain')
  root(@Res() res: Response): void {
    res.type('text/plain').send('Ollama is running');
  }

  @Get('api/version')
  @ApiOperation({ operationId: 'ollamaVersion', summary: 'Ollama-compatible /api/version' })
  @ApiOkResponse({ description: '{ "version": "0.12.6" }' })
  version(@Req() req: Request): Promise<unknown> {
    return this.llm.json('version', '/api/version', undefined, this.ctx(req));
  }

  @Get('api/tags')
  @ApiOperation({ operationId: 'ollamaTags', summary: 'Ollama-compatible /api/tags (narrowed to the allow-list)' })
  @ApiOkResponse({ description: "Ollama's model list" })
  tags(@Req() req: Request): Promise<unknown> {
    return this.llm.tags(this.ctx(req));
  }

  @Post('api/show')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ollamaShow', summary: 'Ollama-compatible /api/show' })
  @ApiBody(OLLAMA_BODY)
  @ApiOkResponse({ description: "Ollama's model details" })
  show(@AnyTypeJsonBody() sent: JsonBody | undefined, @Req() req: Request): Promise<unknown> {
    const body = required(sent);
    const named = body.model ?? body.name;
    if (named === undefined || named === null || named === '') throw modelRequired();
    const model = this.policy.model(named, 'chat', body.model === undefined ? 'name' : 'model');
    return this.llm.json('show', '/api/show', { ...body, model }, this.ctx(req));
  }

  @Post('api/chat')
  @HttpCode(200)
  @ChatRateLimit()
  @ApiOperation({
    operationId: 'ollamaChat',
    summary: 'Ollama-compatible /api/chat (NDJSON stream unless stream: false)',
  })
  @ApiBody(OLLAMA_BODY)
  @ApiProduces('application/x-ndjson', 'application/json')
  @ApiOkResponse({ description: "Ollama's chat answer or NDJSON chunks" })
  async chat(@AnyTypeJsonBody() sent: JsonBody | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = required(sent);
    const model = this.policy.model(body.model, 'chat');
    this.policy.messages(body.messages);
    await this.relay(req, res, 'chat', '/api/chat', { ...body, model });
  }

  @Post('api/generate')
  @HttpCode(200)
  @ChatRateLimit()
  @ApiOperation({
    operationId: 'ollamaGenerate',
    summary: 'Ollama-compatible /api/generate (NDJSON stream unless stream: false)',
  })
  @ApiBody(OLLAMA_BODY)
  @ApiProduces('application/x-ndjson', 'application/json')
  @ApiOkResponse({ description: "Ollama's generate answer or NDJSON chunks" })
  async generate(
    @AnyTypeJsonBody() sent: JsonBody | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const body = required(sent);
    const model = this.policy.model(body.model, 'chat');
    this.policy.prompt(body.prompt, body.system);
    await this.relay(req, res, 'generate', '/api/generate', { ...body, model });
  }

  @Post('api/embed')
  @HttpCode(200)
  @EmbedRateLimit()
  @ApiOperation({ operationId: 'ollamaEmbed', summary: 'Ollama-compatible /api/embed (batch input)' })
  @ApiBody(OLLAMA_BODY)
  @ApiOkResponse({ description: "Ollama's embeddings answer" })
  embed(@AnyTypeJsonBody() sent: JsonBody | undefined, @Req() req: Request): Promise<unknown> {
    const body = required(sent);
    const model = this.policy.model(body.model, 'embed');
    this.policy.embedInput(body.input);
    return this.llm.json('embed', '/api/embed', { ...body, model }, this.ctx(req));
  }

  private ctx(req: Request) {
    return { signal: abortOnDisconnect(req), requestId: requestIdOf(req) };
  }

  /**
   * Ollama streams unless told `stream: false`. Lines are relayed as Ollama wrote them; if the
   * upstream fails midway the client gets `{"error": "…"}` as the last line, as Ollama itself
   * does, never a silently cut stream.
   */
  private async relay(req: Request, res: Response, op: 'chat' | 'generate', path: string, body: JsonBody) {
    if (body.stream === false) {
      res.status(200).json(await this.llm.json(op, path, body, this.ctx(req)));
      return;
    }
    await this.streams.admit(req);
    const upstream = await this.llm.send(op, path, body, this.ctx(req));
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    // Not awaited: a handler kept pending for the life of a stream would hold Nest's request pipeline.
    void this.pump(res, op, upstream);
  }

  private async pump(res: Response, op: 'chat' | 'generate', upstream: UpstreamResponse): Promise<void> {
    try {
      // Bytes as Ollama sent them; a full socket pauses the upstream until the client drains.
      await this.llm.relay(op, upstream, (raw) => {
        if (res.destroyed) return false;
        if (!res.write(raw)) return waitForDrain(res);
      });
    } catch (err) {
      if (!res.destroyed) res.write(JSON.stringify({ error: (err as Error).message }) + '\n');
    }
    if (!res.destroyed) res.end();
  }
}
