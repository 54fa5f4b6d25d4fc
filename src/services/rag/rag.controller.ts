import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { acceptJob, ApiJobSubmission, idempotencyKeyOf, type JobDto, JobsService } from '../../platform/jobs';
import { ApiProblems } from '../../platform/openapi';
import { Roles } from '../../platform/route-metadata';
import { ServiceRoute } from '../../platform/registry';
import { SseEndpoint, SseStreams } from '../../platform/streaming';
import { type Caller, CurrentCaller } from '../../platform/context';
import { AnswerRequestDto } from './dto/answer.dto';
import { DocumentIdParamDto } from './dto/document-id-param.dto';
import { DocumentDto, DocumentListDto, UpsertResultDto } from './dto/document.dto';
import { ListDocumentsQueryDto } from './dto/list-documents-query.dto';
import { SearchRequestDto, SearchResponseDto } from './dto/search.dto';
import { UpsertDocumentDto } from './dto/upsert-document.dto';
import { type AnswerDone, answerEvents } from './rag-answer';
import { RAG_REEMBED_JOB } from './rag-reembed.job';
import { tenantOf } from './rag-tenant';
import { RagService } from './rag.service';

@ApiTags('rag')
@ServiceRoute('rag')
@Controller({ path: 'rag', version: '1' })
export class RagController {
  constructor(
    private readonly rag: RagService,
    private readonly sse: SseStreams,
    private readonly jobs: JobsService,
  ) {}

  @Post('documents')
  @ApiOperation({
    operationId: 'upsertRagDocument',
    summary: "Store (or replace) a document in the caller's tenant; 201 created, 200 replaced",
  })
  @ApiCreatedResponse({ type: UpsertResultDto, description: 'Created' })
  @ApiOkResponse({ type: UpsertResultDto, description: 'Replaced an existing document' })
  @ApiProblems(400, 401, 403, 413, 429, 503)
  async upsert(
    @Body() body: UpsertDocumentDto,
    @CurrentCaller() caller: Caller | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UpsertResultDto> {
    const result = await this.rag.upsert(tenantOf(caller), body);
    res.status(result.created ? 201 : 200);
    return result;
  }

  @Get('documents')
  @ApiOperation({
    operationId: 'listRagDocuments',
    summary: "The caller's tenant's documents, newest first (without text)",
  })
  @ApiOkResponse({ type: DocumentListDto })
  @ApiProblems(400, 401, 403, 429, 503)
  list(@Query() query: ListDocumentsQueryDto, @CurrentCaller() caller: Caller | undefined): Promise<DocumentListDto> {
    return this.rag.list(tenantOf(caller), query.offset, query.limit);
  }

  @Get('documents/:id')
  @ApiOperation({ operationId: 'getRagDocument', summary: 'One document with its text' })
  @ApiOkResponse({ type: DocumentDto })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  get(@Param() params: DocumentIdParamDto, @CurrentCaller() caller: Caller | undefined): Promise<DocumentDto> {
    return this.rag.get(tenantOf(caller), params.id);
  }

  @Delete('documents/:id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteRagDocument', summary: 'Delete a document and its chunks' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async delete(@Param() params: DocumentIdParamDto, @CurrentCaller() caller: Caller | undefined): Promise<void> {
    await this.rag.delete(tenantOf(caller), params.id);
  }

  @Post('search')
  @HttpCode(200)
  @ApiOperation({ operationId: 'searchRag', summary: 'Lexical (BM25), vector or hybrid (RRF) search over chunks' })
  @ApiOkResponse({ type: SearchResponseDto })
  @ApiProblems(400, 401, 403, 429, 503)
  search(@Body() body: SearchRequestDto, @CurrentCaller() caller: Caller | undefined): Promise<SearchResponseDto> {
    return this.rag.search(tenantOf(caller), body);
  }

  @Post('answer')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'answerRag',
    summary: 'Retrieve passages, then stream an LLM answer that cites them as [documentId:chunkIndex] (SSE)',
  })
  @SseEndpoint(
    '`passages`, then `token` events, then `done` with { reason, citations, model, promptTokens, completionTokens }',
  )
  @ApiProblems(400, 401, 403, 429, 503)
  async answer(
    @Body() body: AnswerRequestDto,
    @CurrentCaller() caller: Caller | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<unknown> {
    // Retrieval and the LLM check happen before the stream opens: failures are plain problems.
    const { llm, passages, model } = await this.rag.prepareAnswer(tenantOf(caller), body);
    const done: AnswerDone = { reason: 'pending', citations: [] };
    // Returned, not awaited: the toolkit owns the stream from here (Nest ignores it under @Res()).
    return this.sse.stream(req, res, (signal) => answerEvents(llm, body.query, passages, signal, done, model), {
      doneData: done,
    });
  }

  @Post('reembed')
  @Roles('admin')
  @ApiOperation({
    operationId: 'reembedRagDocuments',
    summary:
      'Re-embed now, as a job, every document (all tenants) lacking vectors of the configured model: 202 with the job; progress on /jobs/{id}/events, cancel with DELETE /jobs/{id}',
  })
  @ApiJobSubmission()
  @ApiProblems(400, 401, 403, 429, 503)
  async reembed(
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobDto> {
    this.rag.requireEmbeddings();
    const submitted = await this.jobs.submit(RAG_REEMBED_JOB, {}, caller, { idempotencyKey: idempotencyKeyOf(req) });
    return acceptJob(res, submitted);
  }
}
