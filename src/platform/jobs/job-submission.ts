import { applyDecorators } from '@nestjs/common';
import { ApiAcceptedResponse, ApiExtraModels, ApiHeader } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { JobDto } from './dto/job.dto';
import type { JobRecord } from './job.types';
import { InvalidJobQueryError } from './jobs.errors';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** Path of a job's resource, as the `Location` of a submission. */
export function jobLocation(id: string): string {
  return `/jobs/${id}`;
}

/**
 * The request's `Idempotency-Key` header (1-200 visible ASCII characters), undefined when absent;
 * a malformed one is JOBS.INVALID_REQUEST (400).
 */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw new InvalidJobQueryError('Idempotency-Key must be 1-200 visible ASCII characters', {
      fieldErrors: [{ field: 'Idempotency-Key', message: 'must be 1-200 visible ASCII characters' }],
    });
  }
  return raw;
}

/**
 * Answers a submission the way every submit route does: `202 Accepted`, `Location: /jobs/<id>`,
 * `Idempotent-Replayed: true` when the key matched an earlier job, and the job as body.
 *
 * ```ts
 * @Post('jobs') @ApiJobSubmission()
 * async submit(@Body() dto: WorkflowDto, @CurrentCaller() caller: Caller, @Req() req: Request,
 *              @Res({ passthrough: true }) res: Response): Promise<JobDto> {
 *   const submitted = await this.jobs.submit('comfy.workflow', dto, caller, { idempotencyKey: idempotencyKeyOf(req) });
 *   return acceptJob(res, submitted);
 * }
 * ```
 */
export function acceptJob(res: Response, submitted: { job: JobRecord; created: boolean }): JobDto {
  res.status(202);
  res.setHeader('Location', jobLocation(submitted.job.id));
  if (!submitted.created) res.setHeader('Idempotent-Replayed', 'true');
  return JobDto.from(submitted.job);
}

/** OpenAPI for a submit route: the `Idempotency-Key` header and the 202 answer with `Location`. */
export function ApiJobSubmission() {
  return applyDecorators(
    ApiExtraModels(JobDto),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Submitting again with the same key (per tenant) returns the first job instead of a new one',
    }),
    ApiAcceptedResponse({
      type: JobDto,
      description: 'Accepted; follow it at `Location` (`/jobs/{id}`) and `/jobs/{id}/events`',
      headers: {
        Location: { description: 'The job resource', schema: { type: 'string' } },
        'Idempotent-Replayed': {
          description: '`true` when the Idempotency-Key matched an earlier job',
          schema: { type: 'string' },
        },
      },
    }),
  );
}
