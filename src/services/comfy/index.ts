export * from './comfy.module';
export { COMFY_SERVICE } from './comfy-gateway.service';
export type { ComfyJobPayload, ComfyJobResult } from './comfy-job.types';
