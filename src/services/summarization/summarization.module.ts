import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SummariesBatchJob } from './summaries-batch.job';
import { SummarizationController } from './summarization.controller';
import { summarizationConfig } from './summarization.config';
import { SummarizationService } from './summarization.service';

/**
 * `POST /v1/summaries` and `/v1/summaries/batch` (streamed, or as a `summaries.batch` job). Abstractive summaries use `LLM_CLIENT` when a (global) LLM module
 * provides it; without one, `auto` answers extractively and `abstractive` answers 503.
 */
@Module({
  imports: [ConfigModule.forFeature(summarizationConfig)],
  controllers: [SummarizationController],
  providers: [SummarizationService, SummariesBatchJob],
  exports: [SummarizationService],
})
export class SummarizationModule {}
