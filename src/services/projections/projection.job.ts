import { Inject, Injectable } from '@nestjs/common';
import { BroadcastChannel } from 'node:worker_threads';
import { JobKind, JobWorkerPool, type JobContext, type JobKindHandler, type JobProgress } from '../../platform/jobs';
import { RuntimeConfigService } from '../../platform/runtime-config';
import { STATE_STORE, type StateStore } from '../../platform/state';
import { DOCUMENT_STORE, type DocumentStore } from '../rag';
import type { ProjectionComputeInput, ProjectionComputeOutput } from './compute/projection-compute.types';
import { ProjectionStore } from './projection-store';
import { projectionWorkerFile, WARM_UP_TASK } from './projection-worker-file';
import { sampleEmbeddings } from './projection-sampler';
import type { ProjectionJobPayload, ProjectionPoint, ProjectionResult } from './projection.types';
import { ProjectionTooFewPointsError } from './projections.errors';
import { PROJECTIONS_SERVICE } from './projections.constants';
import type { ProjectionsSettings } from './projections.settings';

export const PROJECTION_JOB_KIND = 'projections.compute';
const EXCERPT_CHARS = 160;
/** The fewest points any method projects meaningfully (UMAP needs neighbours, t-SNE a perplexity). */
const MIN_POINTS = 5;

/**
 * The `projections.compute` job: samples the tenant's chunk embeddings (seeded reservoir), runs
 * the method, quality and clusters in a JobWorkerPool thread (progress per epoch/iteration comes
 * back on a BroadcastChannel), and stores the result. Idempotent: a re-run draws the same sample.
 */
@JobKind({ name: PROJECTION_JOB_KIND, concurrency: 1, idempotent: true, timeoutMs: 30 * 60_000 })
@Injectable()
export class ProjectionJob implements JobKindHandler<ProjectionJobPayload, { points: number }> {
  private readonly projections: ProjectionStore;

  constructor(
    @Inject(DOCUMENT_STORE) private readonly documents: DocumentStore,
    @Inject(STATE_STORE) state: StateStore,
    private readonly workers: JobWorkerPool,
    private readonly runtimeConfig: RuntimeConfigService,
  ) {
    this.projections = new ProjectionStore(state, () => this.settings());
  }

  private settings(): ProjectionsSettings {
    return this.runtimeConfig.get<ProjectionsSettings>(PROJECTIONS_SERVICE);
  }

  async run({ tenant, request }: ProjectionJobPayload, ctx: JobContext): Promise<{ points: number }> {
    ctx.progress({ value: 0, stage: 'sampling', message: 'reading chunk embeddings' });
    const t0 = performance.now();
    // The thread starts and loads the libraries while this thread streams the sample.
    const warmUp = this.workers.run(projectionWorkerFile(), WARM_UP_TASK, ctx.signal).catch(() => undefined);
    const corpusVersion = await this.documents.corpusVersion(tenant);
    const sample = await sampleEmbeddings(this.documents, tenant, {
      filter: request.filter,
      size: request.sample.size,
      seed: request.sample.seed,
      signal: ctx.signal,
    });
    const n = sample.chunks.length;
    const needed = Math.max(MIN_POINTS, request.dimensions + 1);
    if (n < needed) {
      throw new ProjectionTooFewPointsError(
        `${n} embedded chunks match; a ${request.method} projection needs at least ${needed}`,
      );
    }
    const sampleMs = performance.now() - t0;
    ctx.progress({ value: n, max: n, stage: 'sampling', message: `${n} of ${sample.candidates} chunks sampled` });
    const clusters = request.params.clusters ?? 0;
    const input: ProjectionComputeInput = {
      method: request.method,
      dimensions: request.dimensions,
      n,
      dim: sample.dim,
      data: sample.data,
      texts: clusters >= 2 ? sample.chunks.map((c) => c.text) : [],
      seed: request.sample.seed,
      params: request.params,
      qualityMaxPoints: this.settings().qualityMaxPoints,
      progressChannel: `fennec-projection-${ctx.jobId}-${ctx.attempt}`,
    };
    await warmUp;
    const output = await this.inWorker(input, ctx);
    const d = request.dimensions;
    const points: ProjectionPoint[] = sample.chunks.map((c, i) => ({
      chunkId: `${c.documentId}#${c.chunkIndex}`,
      documentId: c.documentId,
      chunkIndex: c.chunkIndex,
      x: output.coords[i * d],
      y: output.coords[i * d + 1],
      ...(d === 3 ? { z: output.coords[i * d + 2] } : {}),
      ...(output.clusterOf ? { cluster: output.clusterOf[i] } : {}),
      ...(c.title !== undefined ? { title: c.title } : {}),
      metadata: c.metadata,
      excerpt: c.text.slice(0, EXCERPT_CHARS),
    }));
    // One pass for all cluster sizes (not a filter over the points per cluster).
    const clusterSizes = new Array<number>(output.clusterTerms?.length ?? 0).fill(0);
    if (output.clusterOf) for (const c of output.clusterOf) clusterSizes[c]++;
    const result: ProjectionResult = {
      corpusVersion,
      candidates: sample.candidates,
      skippedOtherDimensions: sample.skippedOtherDimensions,
      embeddingDimensions: sample.dim,
      points,
      ...(output.clusterTerms
        ? {
            clusters: output.clusterTerms.map((terms, id) => ({
              id,
              size: clusterSizes[id],
              terms,
            })),
          }
        : {}),
      quality: {
        ...(output.explainedVariance ? { explainedVariance: output.explainedVariance } : {}),
        knnPreservation: output.knn,
      },
      timings: { sampleMs, ...output.timings },
      finishedAt: new Date().toISOString(),
    };
    await this.projections.saveResult(tenant, ctx.jobId, result);
    return { points: n };
  }

  /** Runs the computation in a worker thread, relaying its progress to the job. */
  private async inWorker(input: ProjectionComputeInput, ctx: JobContext): Promise<ProjectionComputeOutput> {
    const channel = new BroadcastChannel(input.progressChannel!);
    channel.onmessage = (event) => ctx.progress((event as { data: JobProgress }).data);
    try {
      return await this.workers.run<ProjectionComputeOutput>(projectionWorkerFile(), input, ctx.signal);
    } finally {
      channel.close();
    }
  }
}
