import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ImagesModule } from '../images';
import { ComfyGateway } from './comfy-gateway.service';
import { COMFY_JOBS, ComfyTemplateJobs } from './comfy-jobs-submitter';
import { ComfyWorkflowJob } from './comfy-workflow.job';
import { comfyConfig } from './comfy.config';
import { ComfyController } from './comfy.controller';
import { ComfyService } from './comfy.service';
import { TemplateStore } from './templates/template-store';

/**
 * ComfyUI (`comfy`): workflows and named-parameter templates validated against the servers'
 * `object_info`, run as `comfy.workflow` jobs on a pool of ComfyUI servers (COMFY_URLS), their
 * outputs stored in the image store. Global so that other services can inject {@link COMFY_JOBS}
 * (optionally) without importing this module.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(comfyConfig), ImagesModule],
  controllers: [ComfyController],
  providers: [
    ComfyGateway,
    ComfyService,
    ComfyWorkflowJob,
    TemplateStore,
    ComfyTemplateJobs,
    { provide: COMFY_JOBS, useExisting: ComfyTemplateJobs },
  ],
  exports: [COMFY_JOBS],
})
export class ComfyModule {}
