import { DiscoveryService } from '@nestjs/core';
import type { JobContext, JobKindOptions } from './job.types';

/** What a class decorated with {@link JobKind} implements. */
export interface JobKindHandler<P = unknown, R = unknown> {
  /** Runs one attempt. Stop upstream work when `ctx.signal` aborts. */
  run(payload: P, ctx: JobContext): Promise<R>;
}

/**
 * Declares a provider as the handler of a job kind; the jobs module discovers it at start.
 *
 * ```ts
 * @JobKind({ name: 'comfy.workflow', concurrency: 2, timeoutMs: 2 * 3_600_000, idempotent: true,
 *            retry: { attempts: 3, backoffMs: 5_000 } })
 * @Injectable()
 * export class ComfyWorkflowJob implements JobKindHandler<WorkflowPayload, WorkflowResult> {
 *   async run(payload: WorkflowPayload, ctx: JobContext) { ... ctx.progress({ value: 3, max: 20 }) ... }
 * }
 * ```
 */
export const JobKind = DiscoveryService.createDecorator<JobKindOptions>();
