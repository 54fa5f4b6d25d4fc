import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems } from '../../platform/openapi/api-problems.decorator';
import { ServiceRoute } from '../../platform/registry/service-route.decorator';
import { SummarizeRequestDto } from './dto/summarize-request.dto';
import { SummaryDto } from './dto/summary-response.dto';
import { SummarizationService } from './summarization.service';

/** Aborts when the client goes away before the answer, so an LLM call does not run for nobody. */
export function abortOnDisconnect(req: Request): AbortSignal {
  const controller = new AbortController();
  const res = req.res;
  res?.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

@ApiTags('summaries')
@ServiceRoute('summarization')
@Controller({ path: 'summaries', version: '1' })
export class SummarizationController {
  constructor(private readonly summaries: SummarizationService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createSummary',
    summary: 'Summarise one text (extractive TextRank in-process, or abstractive through the LLM gateway)',
  })
  @ApiOkResponse({ type: SummaryDto })
  @ApiProblems(400, 401, 403, 413, 429, 503)
  summarize(@Body() body: SummarizeRequestDto, @Req() req: Request): Promise<SummaryDto> {
    const { text, ...options } = body;
    return this.summaries.summarize(text, options, abortOnDisconnect(req));
  }
}
