/** Where an image came from. */
/** `derived`: made from another image by a batch transform (`POST /v1/images/batch`). */
export const IMAGE_SOURCES = ['upload', 'comfy', 'diffusion', 'derived'] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];

/** Formats images are stored in (SVG is rasterised and BMP converted to PNG on ingest). */
export const STORED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;
export type StoredFormat = (typeof STORED_FORMATS)[number];

/** Formats accepted on ingest, detected from the bytes. */
export const INPUT_FORMATS = [...STORED_FORMATS, 'svg', 'bmp'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export const MIME_TYPES: Record<InputFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
};

/** One image of one tenant: the stored bytes are content-addressed by `sha256`. */
export interface ImageRecord {
  id: string;
  tenant: string;
  /** SHA-256 (hex) of the stored bytes; the blob's address. */
  sha256: string;
  /** 64-bit perceptual hash, 16 hex digits. */
  phash: string;
  format: StoredFormat;
  /** Format of the uploaded bytes (differs from `format` for SVG and BMP). */
  originalFormat: InputFormat;
  /** Displayed size (EXIF orientation applied). */
  width: number;
  height: number;
  bytes: number;
  frames: number;
  /** EXIF orientation of the upload (1–8), or null when it had none. */
  orientation: number | null;
  /** Whether EXIF/XMP/IPTC metadata was removed on ingest. */
  metadataStripped: boolean;
  source: ImageSource;
  filename: string | null;
  caption: string | null;
  /** How the caption was made and how it scored (written by the captions service), or null. */
  captionInfo: CaptionInfo | null;
  createdAt: string;
}

/** One measured quality check of a caption. */
export interface CaptionCheck {
  name: string;
  passed: boolean;
  /** What was measured (a length, a ratio, a detected language…). */
  measured?: string | number;
  detail?: string;
}

/** The provenance and quality of an image's caption. */
export interface CaptionInfo {
  style: string;
  model: string;
  language: string | null;
  /** 0..1, computed from the checks. */
  score: number;
  /** Some check still failed after the stricter retry: shown, never silently accepted. */
  flagged: boolean;
  checks: CaptionCheck[];
  /** Normalised tags (style `tags`). */
  tags?: string[];
  /** 1, or 2 when the first answer failed its checks and a stricter prompt was tried. */
  attempts: number;
  createdAt: string;
}

/** Filters of {@link ImageMetadataStore.list}. */
export interface ImageListFilter {
  source?: ImageSource;
  format?: StoredFormat;
  /** Inclusive ISO timestamps. */
  createdFrom?: string;
  createdTo?: string;
  /** Case-insensitive substring of the caption. */
  captionContains?: string;
}

/** A near-duplicate: another image and the Hamming distance between their perceptual hashes. */
export interface SimilarImage {
  image: ImageRecord;
  distance: number;
}

/** Hamming distance of two 64-bit hashes given as 16 hex digits. */
export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x > 0n) {
    x &= x - 1n;
    n++;
  }
  return n;
}
