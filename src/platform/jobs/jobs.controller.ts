import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblems } from '../openapi';
import { type Caller, CurrentCaller } from '../context';
import { Roles } from '../route-metadata';
import { lastEventIdOf, SseEndpoint, SseStreams, SseTerminalProblem, type SseMessage } from '../streaming';
import { JobDto, JobPageDto, PausedKindsDto } from './dto/job.dto';
import { JobIdParamDto, JobKindParamDto, JobListQueryDto } from './dto/job-query.dto';
import type { JobEvent, JobStateEventData } from './job.types';
import { JobsService, endsJob } from './jobs.service';

/** The jobs API: list, read, follow (SSE), cancel; retry and pause/resume for admins. */
@ApiTags('jobs')
@Controller({ path: 'jobs', version: VERSION_NEUTRAL })
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly sse: SseStreams,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listJobs', summary: "The caller's jobs (every tenant's for admins), newest first" })
  @ApiOkResponse({ type: JobPageDto })
  @ApiProblems(400, 401, 403)
  async list(@Query() query: JobListQueryDto, @CurrentCaller() caller: Caller): Promise<JobPageDto> {
    const page = await this.jobs.list(caller, query);
    return { items: page.items.map((j) => JobDto.from(j)), nextCursor: page.nextCursor };
  }

  @Get('kinds/paused')
  @ApiOperation({ operationId: 'listPausedJobKinds', summary: 'Job kinds that are paused (no job of them starts)' })
  @ApiOkResponse({ type: PausedKindsDto })
  @ApiProblems(401, 403)
  async paused(): Promise<PausedKindsDto> {
    return { paused: await this.jobs.pausedKinds() };
  }

  @Post('kinds/:kind/pause')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    operationId: 'pauseJobKind',
    summary: 'Start no more jobs of this kind (cluster-wide); running ones finish, new ones queue',
  })
  @ApiOkResponse({ type: PausedKindsDto })
  @ApiProblems(400, 401, 403)
  async pause(@Param() { kind }: JobKindParamDto): Promise<PausedKindsDto> {
    return { paused: await this.jobs.setPaused(kind, true) };
  }

  @Post('kinds/:kind/resume')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ operationId: 'resumeJobKind', summary: 'Start jobs of this kind again' })
  @ApiOkResponse({ type: PausedKindsDto })
  @ApiProblems(400, 401, 403)
  async resume(@Param() { kind }: JobKindParamDto): Promise<PausedKindsDto> {
    return { paused: await this.jobs.setPaused(kind, false) };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getJob', summary: 'One job: state, attempts, progress, result or problem' })
  @ApiOkResponse({ type: JobDto })
  @ApiProblems(400, 401, 403, 404)
  async get(@Param() { id }: JobIdParamDto, @CurrentCaller() caller: Caller): Promise<JobDto> {
    return JobDto.from(await this.jobs.get(id, caller));
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'cancelJob',
    summary: 'Cancel: a queued job is removed; a running one is aborted (its state follows on /events)',
  })
  @ApiAcceptedResponse({ type: JobDto, description: 'The job now: `cancelled`, or `running` with `cancelRequested`' })
  @ApiProblems(400, 401, 403, 404, 409)
  async cancel(@Param() { id }: JobIdParamDto, @CurrentCaller() caller: Caller): Promise<JobDto> {
    return JobDto.from(await this.jobs.cancel(id, caller));
  }

  @Post(':id/retry')
  @HttpCode(202)
  @Roles('admin')
  @ApiOperation({ operationId: 'retryJob', summary: 'Queue a failed or cancelled job again (attempts start over)' })
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 401, 403, 404, 409)
  async retry(@Param() { id }: JobIdParamDto, @CurrentCaller() caller: Caller): Promise<JobDto> {
    return JobDto.from(await this.jobs.retry(id, caller));
  }

  @Get(':id/events')
  @SseEndpoint(
    'Server-Sent Events: `state` and `progress` events (id = the job event sequence), then `done` ' +
      '(data `{ state, result }`) or `error` (the job problem). Resumes after `Last-Event-ID`.',
  )
  @ApiOperation({ operationId: 'followJob', summary: "A job's progress and state changes, live" })
  @ApiProblems(400, 401, 403, 404)
  async events(
    @Param() { id }: JobIdParamDto,
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<unknown> {
    // Not found / not visible answers problem+json before the stream starts.
    await this.jobs.get(id, caller);
    const last = Number(lastEventIdOf(req) ?? 0);
    const afterSeq = Number.isSafeInteger(last) && last > 0 ? last : 0;
    let result: unknown;
    const jobs = this.jobs;
    return this.sse.stream(
      req,
      res,
      async function* (signal: AbortSignal): AsyncGenerator<SseMessage<unknown>> {
        let ended: JobStateEventData | undefined;
        for await (const e of jobs.follow(id, caller, afterSeq, signal)) {
          yield toMessage(e);
          if (endsJob(e)) ended = e.data as JobStateEventData;
        }
        if (signal.aborted) return;
        // Resumed after the end: the terminal state is on the record.
        const state = ended ?? (await jobs.get(id, caller));
        if (state.state === 'succeeded') {
          result = { state: 'succeeded', result: state.result ?? null };
          return;
        }
        if (state.problem) throw new SseTerminalProblem(state.problem);
      },
      { resumable: true, doneData: () => result },
    );
  }
}

function toMessage(e: JobEvent): SseMessage<unknown> {
  return { id: String(e.seq), event: e.type, data: { ...e.data, at: new Date(e.at).toISOString() } };
}
