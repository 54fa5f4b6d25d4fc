import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Caller } from '../../platform/context';
import { isTerminal, JobsService, type JobRecord } from '../../platform/jobs';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { ServiceConfig } from '../../platform/runtime-config';
import { STATE_STORE, type StateStore } from '../../platform/state';
import { DOCUMENT_STORE, type DocumentStore, tenantOf } from '../rag';
import type { ProjectionMethod, ProjectionParams } from './compute/projection-compute.types';
import type { CreateProjectionDto } from './dto/create-projection.dto';
import type { ProjectionDto, ProjectionListDto, ProjectionStatus, ProjectionSummaryDto } from './dto/projection.dto';
import { PROJECTION_JOB_KIND } from './projection.job';
import { ProjectionStore } from './projection-store';
import type { ProjectionRecord, ProjectionRequest, ProjectionResult } from './projection.types';
import { ProjectionNotFoundError, ProjectionNotReadyError, ProjectionRequestError } from './projections.errors';
import { PROJECTIONS_SERVICE } from './projections.constants';
import { ProjectionsSettings } from './projections.settings';

/** Which parameters each method reads; others are refused rather than silently ignored. */
const METHOD_PARAMS: Record<ProjectionMethod, (keyof ProjectionParams)[]> = {
  pca: ['clusters', 'qualityK'],
  umap: ['neighbors', 'minDist', 'epochs', 'clusters', 'qualityK'],
  tsne: ['perplexity', 'learningRate', 'iterations', 'clusters', 'qualityK'],
};
const DEFAULT_SEED = 42;
/** Bounds the walk over finished projections a request's idempotency keys name (see submit()). */
const MAX_REPLACED_CHAIN = 10;

/** JSON with object keys sorted, so equal requests hash alike whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export type Submission =
  { kind: 'job'; submitted: { job: JobRecord; created: boolean } } | { kind: 'cached'; projection: ProjectionDto };

/**
 * Embedding projections of a tenant's RAG chunks: submissions become `projections.compute` jobs,
 * results are cached per (corpus version, method, params, seed, sample, filter) and marked stale
 * once the corpus changes. Depends on `rag` (the chunk embeddings), `jobs` (the work) and `state`
 * (where projections are kept).
 */
@ManagedService({
  name: PROJECTIONS_SERVICE,
  dependsOn: ['rag', 'jobs', 'state'],
  critical: false,
  config: ProjectionsSettings,
  description: 'PCA, UMAP and t-SNE projections of RAG chunk embeddings, with quality figures and plots',
})
@Injectable()
export class ProjectionsService implements ManagedLifecycle {
  private readonly store: ProjectionStore;

  constructor(
    @Inject(DOCUMENT_STORE) private readonly documents: DocumentStore,
    @Inject(STATE_STORE) state: StateStore,
    private readonly jobs: JobsService,
    private readonly config: ServiceConfig<ProjectionsSettings>,
  ) {
    this.store = new ProjectionStore(state, () => this.config.current);
  }

  async checkHealth(): Promise<ServiceHealthReport> {
    const s = this.config.current;
    return {
      status: 'UP',
      details: { maxPoints: { pca: s.maxPointsPca, umap: s.maxPointsUmap, tsne: s.maxPointsTsne } },
    };
  }

  /** The request with defaults applied, or PROJECTIONS.INVALID_REQUEST. */
  normalise(dto: CreateProjectionDto): ProjectionRequest {
    const s = this.config.current;
    const cap = { pca: s.maxPointsPca, umap: s.maxPointsUmap, tsne: s.maxPointsTsne }[dto.method];
    const size = dto.sample?.size ?? Math.min(s.defaultSampleSize, cap);
    if (size > cap) {
      throw new ProjectionRequestError(`sample.size ${size} is over the cap of ${cap} points for ${dto.method}`, {
        fieldErrors: [{ field: 'sample.size', message: `must be at most ${cap} for ${dto.method}` }],
      });
    }
    const params: ProjectionParams = {};
    for (const [key, value] of Object.entries(dto.params ?? {}) as [keyof ProjectionParams, number | undefined][]) {
      if (value === undefined) continue;
      if (!METHOD_PARAMS[dto.method].includes(key)) {
        throw new ProjectionRequestError(`params.${key} does not apply to ${dto.method}`, {
          fieldErrors: [
            { field: `params.${key}`, message: `${dto.method} takes ${METHOD_PARAMS[dto.method].join(', ')}` },
          ],
        });
      }
      params[key] = value;
    }
    return {
      method: dto.method,
      dimensions: dto.dimensions ?? 2,
      sample: { size, seed: dto.sample?.seed ?? DEFAULT_SEED },
      ...(dto.filter && Object.keys(dto.filter).length > 0 ? { filter: dto.filter } : {}),
      params,
    };
  }

  /** A cached projection of the same request over the same corpus, else a new job. */
  async submit(dto: CreateProjectionDto, caller: Caller): Promise<Submission> {
    const request = this.normalise(dto);
    const tenant = tenantOf(caller);
    const corpusVersion = await this.documents.corpusVersion(tenant);
    const cacheKey = createHash('sha256').update(canonical({ corpusVersion, request })).digest('hex');
    const hitId = await this.store.cached(tenant, cacheKey);
    if (hitId) {
      const hit = await this.find(tenant, hitId, caller, corpusVersion);
      if (hit && ['queued', 'running', 'succeeded'].includes(hit.status))
        return { kind: 'cached', projection: { ...hit, cached: true } };
    }
    // Identical requests sent at once all miss the cache (no record yet): the idempotency key makes
    // them one job. It names the projection this one replaces (failed, cancelled, deleted or
    // expired), so a later request starts a new job instead of getting that one back: a key that
    // answers a job no longer queued or running is not a request in flight, and the next key names it.
    const replacing = (replaced: string) =>
      this.jobs.submit(PROJECTION_JOB_KIND, { tenant, request }, caller, {
        idempotencyKey: `projection:${cacheKey}:${replaced}`,
      });
    let submitted = await replacing(hitId ?? '');
    for (let i = 0; !submitted.created && isTerminal(submitted.job.state) && i < MAX_REPLACED_CHAIN; i++) {
      submitted = await replacing(submitted.job.id);
    }
    // The duplicate writes the same record too (idempotent), so it can be read at once, but lists it only once.
    await this.store.create(
      {
        id: submitted.job.id,
        tenant,
        request,
        submittedCorpusVersion: corpusVersion,
        cacheKey,
        createdAt: new Date(submitted.job.createdAt).toISOString(),
      },
      { list: submitted.created },
    );
    return { kind: 'job', submitted };
  }

  async get(id: string, caller: Caller): Promise<ProjectionDto> {
    const tenant = tenantOf(caller);
    const found = await this.find(tenant, id, caller, await this.documents.corpusVersion(tenant));
    if (!found) throw new ProjectionNotFoundError(id);
    return found;
  }

  async list(caller: Caller): Promise<ProjectionListDto> {
    const tenant = tenantOf(caller);
    const corpusVersion = await this.documents.corpusVersion(tenant);
    const items: ProjectionSummaryDto[] = [];
    for (const id of await this.store.ids(tenant, this.config.current.maxListed)) {
      const found = await this.find(tenant, id, caller, corpusVersion);
      if (!found) continue;
      const { result: _points, cached: _cached, ...summary } = found;
      items.push(summary);
    }
    return { items };
  }

  /** Deletes the projection; a queued or running one is cancelled first. */
  async delete(id: string, caller: Caller): Promise<void> {
    const tenant = tenantOf(caller);
    const record = await this.store.record(tenant, id);
    if (!record) throw new ProjectionNotFoundError(id);
    const job = await this.job(id, caller);
    if (job && (job.state === 'queued' || job.state === 'running')) await this.jobs.cancel(id, caller);
    await this.store.delete(record);
  }

  /** The finished projection's result, or PROJECTIONS.NOT_READY. */
  async finished(id: string, caller: Caller): Promise<{ projection: ProjectionDto; result: ProjectionResult }> {
    const projection = await this.get(id, caller);
    if (!projection.result) {
      throw new ProjectionNotReadyError(`Projection ${id} is ${projection.status}; a plot needs a finished one`);
    }
    return { projection, result: projection.result };
  }

  private async job(id: string, caller: Caller): Promise<JobRecord | undefined> {
    try {
      return await this.jobs.get(id, caller);
    } catch {
      return undefined; // removed by retention, or not visible: the stored result is what counts
    }
  }

  private async find(
    tenant: string,
    id: string,
    caller: Caller,
    corpusVersion: string,
  ): Promise<ProjectionDto | undefined> {
    const record = await this.store.record(tenant, id);
    if (!record) return undefined;
    const result = await this.store.result(tenant, id);
    const job = result ? undefined : await this.job(id, caller);
    const status: ProjectionStatus = result ? 'succeeded' : (job?.state ?? 'expired');
    return {
      ...this.summary(record, status, corpusVersion, result),
      ...(job?.progress ? { progress: job.progress } : {}),
      ...(job?.problem ? { problem: job.problem } : {}),
      ...(result ? { result } : {}),
    };
  }

  private summary(
    record: ProjectionRecord,
    status: ProjectionStatus,
    corpusVersion: string,
    result?: ProjectionResult,
  ): ProjectionSummaryDto {
    const { request } = record;
    return {
      id: record.id,
      status,
      method: request.method,
      dimensions: request.dimensions,
      sample: request.sample,
      ...(request.filter ? { filter: request.filter } : {}),
      params: request.params,
      stale: (result?.corpusVersion ?? record.submittedCorpusVersion) !== corpusVersion,
      createdAt: record.createdAt,
      ...(result ? { pointCount: result.points.length } : {}),
    };
  }
}
