import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Counter, Gauge, Histogram } from 'prom-client';
import sharp from 'sharp';
import { FennecError } from '../../platform/errors';
import { MetricsService } from '../../platform/metrics';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { RuntimeConfigService } from '../../platform/runtime-config';
import { DataDirService } from '../../platform/storage';
import type { CaptionInfo, ImageListFilter, ImageRecord, SimilarImage } from './image-record';
import type { ImageStore, IngestResult, PutImageOptions } from './image-store';
import { applyImagesRouteLimits } from './images-route-limits';
import { imagesConfig, type ImagesConfig, type OutputFormat } from './images.config';
import { ImageNotFoundError, ImageProcessingRequestError } from './images.errors';
import { ImagesSettings } from './images.settings';
import { BlobStore } from './processing/blob-store';
import { ImageInspector, type InspectedImage } from './processing/image-inspector';
import { OperationLimiter } from './processing/operation-limiter';
import { stageFile, type StagedFile } from './processing/staged-file';
import { type CacheTier, VariantCache } from './processing/variant-cache';
import {
  MIME_OF_OUTPUT,
  renderTransform,
  renderVariant,
  transformKey,
  type TransformStep,
  variantKey,
  type VariantSpec,
} from './processing/variant-spec';
import { IMAGE_METADATA_STORE, type ImageMetadataStore } from './store/image-metadata-store';

export const IMAGES_SERVICE = 'images';

/** Derived bytes ready to send: cache tier that answered (or `miss`), ETag and type. */
export interface DerivedImage {
  bytes: Buffer;
  etag: string;
  contentType: string;
  cache: CacheTier | 'miss';
}

/**
 * The image store and its processing: validated, content-addressed uploads with per-tenant
 * metadata, exact and perceptual dedup, bounded variants and transforms cached in memory and on
 * disk. Depends on `data-dir` (blobs, variants, embedded metadata).
 */
@ManagedService({
  name: IMAGES_SERVICE,
  // jobs: optional, for batches (POST /v1/images/batch); declared so that images stops before jobs.
  dependsOn: ['data-dir', { name: 'jobs', optional: true }],
  critical: false,
  config: ImagesSettings,
  description: 'Image store: validated uploads, perceptual dedup, cached variants and transforms',
  startTimeoutMs: 60_000,
})
@Injectable()
export class ImagesService implements ManagedLifecycle, ImageStore {
  private readonly logger = new Logger('images');
  private readonly root: string;
  private readonly blobs: BlobStore;
  private readonly variants: VariantCache;
  private readonly inspector: ImageInspector;
  private readonly limiter: OperationLimiter;
  /** Renders in progress, so concurrent requests for one variant render it once. */
  private readonly rendering = new Map<string, Promise<Buffer>>();
  private readonly cacheLookups: Counter<'tier'>;
  private readonly ingested: Counter<'result'>;
  private readonly ingestedBytes: Counter;
  private readonly servedBytes: Counter<'kind'>;
  private readonly duration: Histogram<'operation'>;
  private readonly lookups = { memory: 0, disk: 0, miss: 0 };

  constructor(
    @Inject(imagesConfig.KEY) private readonly config: ImagesConfig,
    @Inject(IMAGE_METADATA_STORE) private readonly store: ImageMetadataStore,
    private readonly runtimeConfig: RuntimeConfigService,
    dataDir: DataDirService,
    metrics: MetricsService,
  ) {
    // libvips' operation cache would keep decoded images and open files of deleted blobs around;
    // the variant cache does the caching that matters here.
    sharp.cache(false);
    applyImagesRouteLimits(config);
    this.root = join(dataDir.path, 'images');
    this.blobs = new BlobStore(join(this.root, 'blobs'));
    this.variants = new VariantCache(join(this.root, 'variants'), {
      memoryBytes: config.cacheMemoryBytes,
      diskBytes: config.cacheDiskBytes,
    });
    this.inspector = new ImageInspector(config, () => this.tempPath());
    this.limiter = new OperationLimiter(config.maxConcurrentOperations);
    const registers = [metrics.registry];
    this.cacheLookups = new Counter({
      name: metrics.name('images_variant_cache_lookups_total'),
      help: 'Variant and transform lookups, by the cache tier that answered (memory, disk) or miss (rendered)',
      labelNames: ['tier'],
      registers,
    });
    this.ingested = new Counter({
      name: metrics.name('images_ingested_total'),
      help: 'Images offered for storage, by result: created, duplicate, refused',
      labelNames: ['result'],
      registers,
    });
    this.ingestedBytes = new Counter({
      name: metrics.name('images_ingested_bytes_total'),
      help: 'Bytes of images stored (new blobs)',
      registers,
    });
    this.servedBytes = new Counter({
      name: metrics.name('images_served_bytes_total'),
      help: 'Bytes of image content sent, by kind: original, variant, transform',
      labelNames: ['kind'],
      registers,
    });
    this.duration = new Histogram({
      name: metrics.name('images_processing_duration_seconds'),
      help: 'Time spent in image processing, by operation: ingest (validate+hash), variant, transform',
      labelNames: ['operation'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    const cache = this.variants;
    new Gauge({
      name: metrics.name('images_variant_cache_bytes'),
      help: 'Bytes held by the variant cache, by tier',
      labelNames: ['tier'],
      registers,
      collect() {
        const s = cache.stats();
        this.set({ tier: 'memory' }, s.memoryBytes);
        this.set({ tier: 'disk' }, s.diskBytes);
      },
    });
  }

  async start(): Promise<void> {
    await rm(this.tempDir, { recursive: true, force: true });
    await mkdir(this.tempDir, { recursive: true });
    await Promise.all([this.blobs.open(), this.variants.open(), this.store.open()]);
    this.logger.log({ store: this.store.kind, ...(await this.store.stats()) }, 'image store open');
  }

  async stop(): Promise<void> {
    await this.store.close();
  }

  async checkHealth(): Promise<ServiceHealthReport> {
    const looked = this.lookups.memory + this.lookups.disk + this.lookups.miss;
    return {
      status: 'UP',
      details: {
        store: this.store.kind,
        ...(await this.store.stats()),
        variantCache: {
          ...this.variants.stats(),
          hitRatio: looked ? Math.round(((this.lookups.memory + this.lookups.disk) / looked) * 1000) / 1000 : null,
        },
        activeOperations: this.limiter.active,
      },
    };
  }

  /** The configured limits (IMAGES_*). */
  get limits(): ImagesConfig {
    return this.config;
  }

  /** Removes staged uploads that will not be ingested. */
  async discard(staged: StagedFile[]): Promise<void> {
    await Promise.all(staged.map((s) => rm(s.path, { force: true })));
  }

  /** The output format of a transform: the one asked for if enabled, else the image's own (or the first enabled). */
  outputFormat(requested: OutputFormat | undefined, record: ImageRecord): OutputFormat {
    const enabled = this.config.outputFormats;
    if (requested && !enabled.includes(requested)) {
      throw new ImageProcessingRequestError(`format=${requested} is not enabled; enabled: ${enabled.join(', ')}`);
    }
    return requested ?? (enabled.includes(record.format) ? record.format : enabled[0]);
  }

  settings(): ImagesSettings {
    return this.runtimeConfig.get<ImagesSettings>(IMAGES_SERVICE);
  }

  get tempDir(): string {
    return join(this.root, 'tmp');
  }

  private tempPath(): string {
    return join(this.tempDir, `${randomUUID()}.tmp`);
  }

  /** Streams one upload into a temporary file (hashed and size-limited on the way). */
  stage(source: Readable): Promise<StagedFile> {
    return stageFile(source, this.tempDir, this.config.maxBytes);
  }

  /**
   * Validates every staged file first, then stores them: a request with one bad image stores none.
   * Errors name the file (`images[1] (cat.jpg): …`) when there are several.
   */
  async ingest(
    tenant: string,
    files: { staged: StagedFile; filename?: string }[],
    options: Omit<PutImageOptions, 'filename'>,
  ): Promise<IngestResult[]> {
    const strip = options.stripMetadata ?? this.settings().stripMetadataByDefault;
    const inspected: { image: InspectedImage; filename?: string }[] = [];
    try {
      for (const [i, file] of files.entries()) {
        const started = performance.now();
        try {
          const image = await this.limiter.run(() => this.inspector.inspect(file.staged, { stripMetadata: strip }));
          inspected.push({ image, filename: file.filename });
        } catch (err) {
          this.ingested.inc({ result: 'refused' });
          if (err instanceof FennecError && files.length > 1) {
            err.message = `images[${i}]${file.filename ? ` (${file.filename})` : ''}: ${err.message}`;
          }
          throw err;
        } finally {
          this.duration.observe({ operation: 'ingest' }, (performance.now() - started) / 1000);
        }
      }
    } catch (err) {
      await Promise.all([
        ...files.map((f) => rm(f.staged.path, { force: true })),
        ...inspected.map((i) => rm(i.image.path, { force: true })),
      ]);
      throw err;
    }
    const results: IngestResult[] = [];
    try {
      for (const { image, filename } of inspected) results.push(await this.commit(tenant, image, options, filename));
    } catch (err) {
      // The store failed part-way: what was committed stays (a retry dedups it), the rest is removed.
      await Promise.all(inspected.slice(results.length).map((i) => rm(i.image.path, { force: true })));
      throw err;
    }
    return results;
  }

  private async commit(
    tenant: string,
    image: InspectedImage,
    options: Omit<PutImageOptions, 'filename'>,
    filename?: string,
  ): Promise<IngestResult> {
    const { path, ...described } = image;
    const record: ImageRecord = {
      id: randomUUID(),
      tenant,
      ...described,
      source: options.source,
      filename: filename ?? null,
      caption: null,
      captionInfo: null,
      createdAt: new Date().toISOString(),
    };
    // The blob first: a record never points at missing bytes (an orphan blob is harmless).
    await this.blobs.adopt(path, image.sha256);
    const outcome = await this.store.insert(record);
    const stored = outcome.inserted ? record : outcome.existing;
    const near = await this.store.similar(tenant, stored.phash, this.settings().nearDuplicateDistance, 20, stored.id);
    this.ingested.inc({ result: outcome.inserted ? 'created' : 'duplicate' });
    if (outcome.inserted) this.ingestedBytes.inc(record.bytes);
    return {
      image: stored,
      created: outcome.inserted,
      ...(outcome.inserted ? {} : { duplicateOf: stored.id }),
      nearDuplicates: near.map((s) => ({ id: s.image.id, distance: s.distance })),
    };
  }

  /** {@link ImageStore.put}: one image from another service. */
  async put(tenant: string, bytes: Buffer, options: PutImageOptions): Promise<IngestResult> {
    const staged = await this.stage(Readable.from([bytes]));
    const [result] = await this.ingest(tenant, [{ staged, filename: options.filename }], options);
    return result;
  }

  find(tenant: string, id: string): Promise<ImageRecord | undefined> {
    return this.store.get(tenant, id);
  }

  async get(tenant: string, id: string): Promise<ImageRecord> {
    const record = await this.store.get(tenant, id);
    if (!record) throw new ImageNotFoundError(id);
    return record;
  }

  async originalPath(tenant: string, id: string): Promise<string> {
    return this.blobs.pathOf((await this.get(tenant, id)).sha256);
  }

  async setCaption(tenant: string, id: string, caption: string | null, info: CaptionInfo | null = null): Promise<void> {
    if (!(await this.store.setCaption(tenant, id, caption, info))) throw new ImageNotFoundError(id);
  }

  list(
    tenant: string,
    filter: ImageListFilter,
    page: { offset: number; limit: number },
  ): Promise<{ items: ImageRecord[]; total: number }> {
    return this.store.list(tenant, filter, page);
  }

  async similar(tenant: string, id: string, maxDistance?: number, limit = 20): Promise<SimilarImage[]> {
    const record = await this.get(tenant, id);
    return this.store.similar(tenant, record.phash, maxDistance ?? this.settings().nearDuplicateDistance, limit, id);
  }

  /** Deletes the record; its variants go too, and the blob with the last record that uses it. */
  async delete(tenant: string, id: string): Promise<void> {
    const record = await this.store.delete(tenant, id);
    if (!record) throw new ImageNotFoundError(id);
    if ((await this.store.countBySha(record.sha256)) === 0) {
      await Promise.all([this.blobs.remove(record.sha256), this.variants.deleteSource(record.sha256)]);
    }
  }

  blobPath(record: ImageRecord): string {
    return this.blobs.pathOf(record.sha256);
  }

  countServed(kind: 'original' | 'variant' | 'transform', bytes: number): void {
    this.servedBytes.inc({ kind }, bytes);
  }

  /**
   * Checks a variant request against the configured bounds and the image: sizes from
   * IMAGES_VARIANT_SIZES only, formats from IMAGES_OUTPUT_FORMATS, never larger than the source.
   * Without a format, `accept` picks WebP, then AVIF, else the source's own format.
   */
  resolveVariant(
    record: ImageRecord,
    query: { w?: number; h?: number; fit?: VariantSpec['fit']; format?: OutputFormat; q?: number },
    accept: string | undefined,
  ): { spec: VariantSpec; negotiated: boolean } {
    const { variantSizes, outputFormats } = this.config;
    for (const [name, value] of [
      ['w', query.w],
      ['h', query.h],
    ] as const) {
      if (value !== undefined && !variantSizes.includes(value)) {
        throw new ImageProcessingRequestError(
          `${name}=${value} is not an allowed size; allowed: ${variantSizes.join(', ')}`,
          {
            fieldErrors: [{ field: name, message: `must be one of ${variantSizes.join(', ')}` }],
          },
        );
      }
    }
    if (query.format && !outputFormats.includes(query.format)) {
      throw new ImageProcessingRequestError(
        `format=${query.format} is not enabled; enabled: ${outputFormats.join(', ')}`,
      );
    }
    if (query.w === undefined && query.h === undefined) {
      const largest = variantSizes[variantSizes.length - 1];
      if (Math.max(record.width, record.height) > largest) {
        throw new ImageProcessingRequestError(
          `A conversion without w or h is limited to images of at most ${largest} px; give w or h`,
        );
      }
    }
    const negotiated = query.format === undefined;
    const format = query.format ?? this.negotiate(record, accept);
    return {
      spec: { width: query.w, height: query.h, fit: query.fit ?? 'inside', format, quality: query.q },
      negotiated,
    };
  }

  private negotiate(record: ImageRecord, accept: string | undefined): OutputFormat {
    const enabled = (f: OutputFormat) => this.config.outputFormats.includes(f);
    const accepts = (mime: string) => accept?.toLowerCase().includes(mime) ?? false;
    if (accepts('image/webp') && enabled('webp')) return 'webp';
    if (accepts('image/avif') && enabled('avif')) return 'avif';
    if (enabled(record.format)) return record.format;
    return enabled('jpeg') ? 'jpeg' : this.config.outputFormats[0];
  }

  /** The ETag of a derived image: known before rendering, so a 304 costs no work. */
  derivedEtag(record: ImageRecord, key: string): string {
    return `"${record.sha256}.${key}"`;
  }

  variant(record: ImageRecord, spec: VariantSpec): Promise<DerivedImage> {
    return this.derive(record, variantKey(spec), MIME_OF_OUTPUT[spec.format], 'variant', () =>
      renderVariant(this.blobPath(record), record.frames, spec, this.config.maxPixels),
    );
  }

  transform(
    record: ImageRecord,
    steps: TransformStep[],
    format: OutputFormat,
    quality: number | undefined,
  ): Promise<DerivedImage> {
    return this.derive(record, transformKey(steps, format, quality), MIME_OF_OUTPUT[format], 'transform', () =>
      renderTransform(this.blobPath(record), steps, format, quality, this.config.maxPixels),
    );
  }

  private async derive(
    record: ImageRecord,
    params: string,
    contentType: string,
    operation: 'variant' | 'transform',
    render: () => Promise<Buffer>,
  ): Promise<DerivedImage> {
    const key = `${record.sha256}/${params}`;
    const etag = this.derivedEtag(record, params);
    const cached = await this.variants.get(key);
    if (cached) {
      this.lookups[cached.tier]++;
      this.cacheLookups.inc({ tier: cached.tier });
      return { bytes: cached.bytes, etag, contentType, cache: cached.tier };
    }
    this.lookups.miss++;
    this.cacheLookups.inc({ tier: 'miss' });
    let pending = this.rendering.get(key);
    if (!pending) {
      pending = this.limiter
        .run(async () => {
          const started = performance.now();
          try {
            let bytes: Buffer;
            try {
              bytes = await render();
            } catch (err) {
              // The stored image decoded on ingest: a failure here comes from the requested operation.
              throw new ImageProcessingRequestError(
                `The operation failed on this image: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
                { cause: err },
              );
            }
            await this.variants.set(key, bytes);
            return bytes;
          } finally {
            this.duration.observe({ operation }, (performance.now() - started) / 1000);
          }
        })
        .finally(() => this.rendering.delete(key));
      this.rendering.set(key, pending);
    }
    return { bytes: await pending, etag, contentType, cache: 'miss' };
  }
}
