import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATES, type JobRecord, type JobState } from '../job.types';

export class JobProgressDto {
  @ApiProperty({ example: 12 })
  value: number;

  @ApiPropertyOptional({ example: 20 })
  max?: number;

  @ApiPropertyOptional({ example: 'sampling' })
  stage?: string;

  @ApiPropertyOptional({ example: 'step 12 of 20' })
  message?: string;

  @ApiPropertyOptional({ description: 'A small preview (data URL or text excerpt)' })
  preview?: string;
}

export class JobProblemDto {
  @ApiProperty({ example: 'urn:fennec:problem:jobs.timeout' })
  type: string;

  @ApiProperty({ example: 'Gateway Timeout' })
  title: string;

  @ApiProperty({ example: 504 })
  status: number;

  @ApiProperty({ example: 'The attempt ran longer than the 60 min timeout of kind comfy.workflow' })
  detail: string;

  @ApiProperty({ example: 'JOBS.TIMEOUT' })
  code: string;
}

/** A job as the API shows it. */
export class JobDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'comfy.workflow' })
  kind: string;

  @ApiProperty({ example: 'default' })
  tenant: string;

  @ApiProperty({ enum: JOB_STATES, example: 'running' })
  state: JobState;

  @ApiProperty({ description: 'Lower runs first', example: 100 })
  priority: number;

  @ApiProperty({ description: 'Attempts started so far', example: 1 })
  attempts: number;

  @ApiProperty({ example: 3 })
  maxAttempts: number;

  @ApiPropertyOptional({ description: 'Jobs of the same kind ahead of this one (queued jobs only)', example: 0 })
  position?: number;

  @ApiPropertyOptional({ type: JobProgressDto })
  progress?: JobProgressDto;

  @ApiPropertyOptional({ description: 'What the handler returned (succeeded jobs)' })
  result?: unknown;

  @ApiPropertyOptional({ type: JobProblemDto, description: 'Why it failed or was cancelled' })
  problem?: JobProblemDto;

  @ApiPropertyOptional({ description: 'The instance running it, or that ran it last (`host:pid[:id]`)' })
  runningOn?: string;

  @ApiPropertyOptional({ description: 'A cancel was asked for while it was running' })
  cancelRequested?: boolean;

  @ApiPropertyOptional({ description: 'The Idempotency-Key it was submitted with' })
  idempotencyKey?: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  startedAt?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  finishedAt?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'A retry does not start before this' })
  runAfter?: string;

  /** The API view of a record: no payload (it may be large or sensitive), ISO times. */
  static from(job: JobRecord): JobDto {
    const iso = (t?: number) => (t === undefined ? undefined : new Date(t).toISOString());
    return {
      id: job.id,
      kind: job.kind,
      tenant: job.tenant,
      state: job.state,
      priority: job.priority,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      position: job.position,
      progress: job.progress,
      result: job.result,
      problem: job.problem,
      runningOn: job.runningOn,
      cancelRequested: job.cancelRequested,
      idempotencyKey: job.idempotencyKey,
      createdAt: iso(job.createdAt)!,
      updatedAt: iso(job.updatedAt)!,
      startedAt: iso(job.startedAt),
      finishedAt: iso(job.finishedAt),
      runAfter: job.state === 'queued' ? iso(job.runAfter) : undefined,
    };
  }
}

export class JobPageDto {
  @ApiProperty({ type: [JobDto] })
  items: JobDto[];

  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next page; absent on the last page' })
  nextCursor?: string;
}

export class PausedKindsDto {
  @ApiProperty({ type: [String], example: ['comfy.workflow'] })
  paused: string[];
}
