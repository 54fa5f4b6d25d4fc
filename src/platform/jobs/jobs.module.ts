import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { stateConfig, type StateConfig } from '../state';
import { DataDirService } from '../storage';
import { JOB_BACKEND } from './job-backend';
import { createJobBackend } from './job-backend.factory';
import { JobKindRegistry } from './job-kind-registry';
import { JobWorkerPool } from './job-worker-pool';
import { jobsConfig, type JobsConfig } from './jobs.config';
import { JobsController } from './jobs.controller';
import { JobsEventsGateway } from './jobs-events.gateway';
import { JobsMetrics } from './jobs.metrics';
import { JobsService } from './jobs.service';

/**
 * Platform jobs: the managed `jobs` service, the `/jobs` API and `@JobKind` discovery. Global:
 * services inject {@link JobsService} to submit and declare kinds with `@JobKind`.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(jobsConfig), ConfigModule.forFeature(stateConfig), DiscoveryModule],
  controllers: [JobsController],
  providers: [
    JobKindRegistry,
    JobsMetrics,
    {
      provide: JOB_BACKEND,
      inject: [jobsConfig.KEY, stateConfig.KEY, DataDirService],
      useFactory: (jobs: JobsConfig, state: StateConfig, dataDir: DataDirService) =>
        createJobBackend(jobs, state, dataDir),
    },
    JobsService,
    JobsEventsGateway,
    JobWorkerPool,
  ],
  exports: [JobsService, JobKindRegistry, JobWorkerPool],
})
export class JobsModule {}
