import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { RagModule } from '../rag';
import { ProjectionJob } from './projection.job';
import { projectionsConfig } from './projections.config';
import { ProjectionsController } from './projections.controller';
import { ProjectionsService } from './projections.service';

/** `/v1/projections`: projections of RAG chunk embeddings, computed as jobs in worker threads. */
@Module({
  imports: [ConfigModule.forFeature(projectionsConfig), RagModule],
  controllers: [ProjectionsController],
  providers: [ProjectionsService, ProjectionJob],
})
export class ProjectionsModule {}
