import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { OutputFormat } from '../images.config';

export const FITS = ['cover', 'contain', 'inside'] as const;
export type Fit = (typeof FITS)[number];

/** A derived variant of `GET …/content`: a bounded resize and/or a format change. */
export interface VariantSpec {
  width?: number;
  height?: number;
  fit: Fit;
  format: OutputFormat;
  quality?: number;
}

export const TRANSFORM_OPS = ['resize', 'crop', 'rotate', 'flip', 'grayscale', 'blur'] as const;
export type TransformOp = (typeof TRANSFORM_OPS)[number];

/** One explicit operation of `POST …/transform`, already checked against the image and the limits. */
export type TransformStep =
  | { op: 'resize'; width?: number; height?: number; fit: Fit }
  | { op: 'crop'; left: number; top: number; width: number; height: number }
  | { op: 'rotate'; angle: number }
  | { op: 'flip'; direction: 'horizontal' | 'vertical' }
  | { op: 'grayscale' }
  | { op: 'blur'; sigma: number };

export const MIME_OF_OUTPUT: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
  tiff: 'image/tiff',
};

/** Formats whose encoders keep animation. */
const ANIMATED_OUTPUTS = new Set<OutputFormat>(['gif', 'webp']);

/** Stable cache key (and ETag suffix) of a variant: the same request always gives the same key. */
export function variantKey(spec: VariantSpec): string {
  return `v-${spec.width ?? 0}x${spec.height ?? 0}-${spec.fit}-q${spec.quality ?? 0}.${spec.format}`;
}

/** Stable cache key of a transform: a digest of its steps and output. */
export function transformKey(steps: TransformStep[], format: OutputFormat, quality?: number): string {
  const digest = createHash('sha256')
    .update(JSON.stringify({ steps, quality: quality ?? 0 }))
    .digest('hex')
    .slice(0, 32);
  return `t-${digest}.${format}`;
}

const encode = (image: sharp.Sharp, format: OutputFormat, quality?: number) =>
  image.toFormat(format, quality === undefined ? {} : { quality });

/**
 * Renders a variant. Orientation is applied and no metadata is copied (sharp writes none unless
 * asked), so derived images never carry EXIF/GPS. Never enlarges: a variant is at most the source.
 */
export async function renderVariant(
  path: string,
  frames: number,
  spec: VariantSpec,
  maxPixels: number,
): Promise<Buffer> {
  const animated = frames > 1 && ANIMATED_OUTPUTS.has(spec.format);
  let image = sharp(path, { limitInputPixels: maxPixels * (animated ? frames : 1), animated }).rotate();
  if (spec.width || spec.height) {
    image = image.resize(spec.width, spec.height, { fit: spec.fit, withoutEnlargement: true });
  }
  return encode(image, spec.format, spec.quality).toBuffer();
}

/**
 * Applies explicit steps in the order given. sharp runs one pipeline's operations in its own fixed
 * order, so each step is materialised (raw pixels) before the next. Animated sources give their first frame.
 */
export async function renderTransform(
  path: string,
  steps: TransformStep[],
  format: OutputFormat,
  quality: number | undefined,
  maxPixels: number,
): Promise<Buffer> {
  let image = sharp(path, { limitInputPixels: maxPixels }).rotate();
  for (const step of steps) {
    image = applyStep(image, step);
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }
  return encode(image, format, quality).toBuffer();
}

function applyStep(image: sharp.Sharp, step: TransformStep): sharp.Sharp {
  switch (step.op) {
    case 'resize':
      return image.resize(step.width, step.height, { fit: step.fit });
    case 'crop':
      return image.extract({ left: step.left, top: step.top, width: step.width, height: step.height });
    case 'rotate':
      return image.rotate(step.angle, { background: { r: 0, g: 0, b: 0, alpha: 0 } });
    case 'flip':
      return step.direction === 'vertical' ? image.flip() : image.flop();
    case 'grayscale':
      return image.grayscale();
    case 'blur':
      return image.blur(step.sigma);
  }
}
