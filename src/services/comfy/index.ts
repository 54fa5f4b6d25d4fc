export * from './comfy.module';
export { COMFY_SERVICE } from './comfy-gateway.service';
export type { ComfyJobPayload, ComfyJobResult } from './comfy-job.types';
export { COMFY_JOBS, type ComfyJobsSubmitter, type ComfyTemplateParams } from './comfy-jobs-submitter';
export { COMFY_JOB_KIND, type ComfyJobImage } from './comfy-job.types';
