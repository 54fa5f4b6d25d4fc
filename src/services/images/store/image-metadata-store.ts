import type { CaptionInfo, ImageListFilter, ImageRecord, SimilarImage } from '../image-record';

/**
 * Where image metadata lives. Every tenant-scoped call sees only that tenant's images; a tenant
 * holds at most one image per `sha256` (exact duplicates resolve to the existing one).
 * Implementations: {@link EmbeddedImageMetadataStore} (DATA_DIR) and {@link PostgresImageMetadataStore}.
 */
export interface ImageMetadataStore {
  readonly kind: 'embedded' | 'postgres';
  open(): Promise<void>;
  close(): Promise<void>;
  /** Inserts the record, unless the tenant already has one with its sha256: then answers that one. */
  insert(record: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }>;
  get(tenant: string, id: string): Promise<ImageRecord | undefined>;
  findBySha(tenant: string, sha256: string): Promise<ImageRecord | undefined>;
  /** Newest first (by `createdAt`, then id). */
  list(
    tenant: string,
    filter: ImageListFilter,
    page: { offset: number; limit: number },
  ): Promise<{ items: ImageRecord[]; total: number }>;
  /** Removes the record and answers it; undefined when there was none. */
  delete(tenant: string, id: string): Promise<ImageRecord | undefined>;
  /** How many records of any tenant point at the blob (so it is removed only with its last one). */
  countBySha(sha256: string): Promise<number>;
  /** The tenant's images within `maxDistance` of `phash`, nearest first, then newest; `excludeId` left out. */
  similar(
    tenant: string,
    phash: string,
    maxDistance: number,
    limit: number,
    excludeId?: string,
  ): Promise<SimilarImage[]>;
  /** Sets the caption and its info; false when the image does not exist. */
  setCaption(tenant: string, id: string, caption: string | null, info: CaptionInfo | null): Promise<boolean>;
  stats(): Promise<{ images: number; tenants: number; bytes: number }>;
}

/** DI token of the configured {@link ImageMetadataStore}. */
export const IMAGE_METADATA_STORE = Symbol('IMAGE_METADATA_STORE');
