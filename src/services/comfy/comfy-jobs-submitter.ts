import { Injectable } from '@nestjs/common';
import type { Caller } from '../../platform/context';
import type { JobRecord } from '../../platform/jobs';
import { ComfyService } from './comfy.service';
import type { TemplateParam } from './templates/comfy-template';

/** The parameters a template takes, by name (what a caller may pass in `params`). */
export type ComfyTemplateParams = Record<string, Pick<TemplateParam, 'type' | 'default' | 'min' | 'max'>>;

/**
 * What other services use of the comfy service: run a template as a `comfy.workflow` job, the
 * same way `POST /v1/comfy/jobs` does (parameters checked against the template, the graph
 * validated against the servers' `object_info`). The job's result is a {@link ComfyJobResult}.
 * The `comfy` module provides it under {@link COMFY_JOBS} from a global module, so consumers
 * inject it with `@Optional()` and work without it when comfy is not part of the app.
 *
 * Calls reject with the comfy service's errors: COMFY.UNAVAILABLE (503) without a server,
 * COMFY.TEMPLATE_NOT_FOUND, COMFY.INVALID_PARAMS (400, each `params.<name>` named).
 */
export interface ComfyJobsSubmitter {
  /** The named parameters of a template the caller can use. */
  templateParams(tenant: string, template: string): Promise<ComfyTemplateParams>;
  submitTemplate(template: string, params: Record<string, unknown>, caller: Caller): Promise<JobRecord>;
}

/** DI token of the {@link ComfyJobsSubmitter}. */
export const COMFY_JOBS = Symbol('COMFY_JOBS');

@Injectable()
export class ComfyTemplateJobs implements ComfyJobsSubmitter {
  constructor(private readonly comfy: ComfyService) {}

  async templateParams(tenant: string, template: string): Promise<ComfyTemplateParams> {
    return (await this.comfy.getTemplate(tenant, template)).params;
  }

  async submitTemplate(template: string, params: Record<string, unknown>, caller: Caller): Promise<JobRecord> {
    const { job } = await this.comfy.submit({ template, params }, caller);
    return job;
  }
}
