import type { CaptionInfo, ImageListFilter, ImageRecord, ImageSource } from './image-record';

/** What storing one image did: created it, or found the same bytes already in the tenant. */
export interface IngestResult {
  image: ImageRecord;
  created: boolean;
  /** The existing image's id when these bytes were already stored (exact duplicate). */
  duplicateOf?: string;
  /** The tenant's other images within the configured perceptual-hash distance, nearest first. */
  nearDuplicates: { id: string; distance: number }[];
}

export interface PutImageOptions {
  source: ImageSource;
  /** Remove EXIF/XMP/IPTC (GPS included), orientation applied. Default: the service's runtime setting. */
  stripMetadata?: boolean;
  filename?: string;
}

/**
 * The image store as other services use it (ComfyUI and diffusion outputs, captions): the same
 * validation, dedup and tenant scoping as uploads. Inject with `@Inject(IMAGE_STORE)` after
 * importing `ImagesModule`.
 */
export interface ImageStore {
  /** Validates and stores an image in `tenant`; throws the same IMAGES.* errors as an upload. */
  put(tenant: string, bytes: Buffer, options: PutImageOptions): Promise<IngestResult>;
  /** The image's metadata; undefined when the tenant has no such image. */
  find(tenant: string, id: string): Promise<ImageRecord | undefined>;
  /** Path of the image's stored bytes (read-only); throws IMAGES.NOT_FOUND. */
  originalPath(tenant: string, id: string): Promise<string>;
  /** Sets or clears the caption (and its provenance and checks); throws IMAGES.NOT_FOUND. */
  setCaption(tenant: string, id: string, caption: string | null, info?: CaptionInfo | null): Promise<void>;
  /** The tenant's images, newest first, with filters (paged). */
  list(
    tenant: string,
    filter: ImageListFilter,
    page: { offset: number; limit: number },
  ): Promise<{ items: ImageRecord[]; total: number }>;
}

/** DI token of the {@link ImageStore}. */
export const IMAGE_STORE = Symbol('IMAGE_STORE');
