import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type/node';
import sharp, { type FormatEnum, type Metadata } from 'sharp';
import phash from 'sharp-phash';
import type { InputFormat, StoredFormat } from '../image-record';
import {
  ImageCorruptError,
  ImageExternalReferenceError,
  ImagePolyglotError,
  ImageTooLargeError,
  ImageTooManyFramesError,
  ImageTooManyPixelsError,
  ImageUnsupportedFormatError,
} from '../images.errors';
import { bmpDimensions, decodeBmp } from './bmp-decoder';
import { trailingData } from './polyglot-check';
import type { StagedFile } from './staged-file';
import { looksLikeSvg, svgExternalReference } from './svg-guard';

/** An upload that passed every check, ready to be stored: `path` holds the bytes to keep. */
export interface InspectedImage {
  path: string;
  sha256: string;
  bytes: number;
  format: StoredFormat;
  originalFormat: InputFormat;
  width: number;
  height: number;
  frames: number;
  orientation: number | null;
  phash: string;
  metadataStripped: boolean;
}

export interface InspectionLimits {
  maxBytes: number;
  maxPixels: number;
  maxFrames: number;
}

/** file-type's extension → our format name; anything not here is refused. */
const DETECTED: Record<string, InputFormat> = {
  jpg: 'jpeg',
  png: 'png',
  apng: 'png',
  webp: 'webp',
  gif: 'gif',
  tif: 'tiff',
  avif: 'avif',
  bmp: 'bmp',
};
/** libvips' loader name for each stored format (AVIF is read by the HEIF loader). */
const VIPS_FORMAT: Record<StoredFormat, keyof FormatEnum> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tiff',
  avif: 'heif',
};
const ACCEPTED = 'JPEG, PNG, WebP, GIF, TIFF, AVIF, BMP, SVG';

const n = (x: number) => x.toLocaleString('en-US');
const vipsMessage = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err));

/**
 * Validation by content: the format comes from the magic bytes (file-type), never from a name or
 * a declared type; the header's size is checked before any pixel is decoded (decompression
 * bombs); then the image is decoded for real (the perceptual hash reads every pixel, at reduced
 * scale), so a truncated or corrupt file is refused here and not when someone first views it.
 * SVG is rasterised to PNG once its references were checked, BMP converted to PNG.
 */
export class ImageInspector {
  constructor(
    private readonly limits: InspectionLimits,
    private readonly newTempPath: () => string,
  ) {}

  async inspect(staged: StagedFile, options: { stripMetadata: boolean }): Promise<InspectedImage> {
    if (staged.bytes > this.limits.maxBytes) {
      throw new ImageTooLargeError(`The image is ${n(staged.bytes)} bytes; the limit is ${n(this.limits.maxBytes)}`);
    }
    if (staged.bytes === 0) throw new ImageUnsupportedFormatError('The upload is empty');
    const detected = await fileTypeFromFile(staged.path);
    let format = detected ? DETECTED[detected.ext] : undefined;
    if (!detected || detected.ext === 'xml') {
      if (looksLikeSvg((await readHead(staged.path, 4_096)).toString('utf8'))) format = 'svg';
    }
    if (!format) {
      throw new ImageUnsupportedFormatError(
        `The content is not an image of an accepted format (${ACCEPTED}); detected: ${detected?.mime ?? 'unknown data'}`,
      );
    }
    if (format === 'svg') return this.fromSvg(staged);
    if (format === 'bmp') return this.fromBmp(staged);
    return this.fromRaster(staged, format, options.stripMetadata);
  }

  private async fromRaster(staged: StagedFile, format: StoredFormat, strip: boolean): Promise<InspectedImage> {
    const name = format.toUpperCase();
    let meta: Metadata;
    try {
      meta = await sharp(staged.path, { limitInputPixels: false }).metadata();
    } catch (err) {
      throw new ImageCorruptError(`The ${name} header cannot be read: ${vipsMessage(err)}`, { cause: err });
    }
    if (meta.format !== VIPS_FORMAT[format]) {
      throw new ImagePolyglotError(`The bytes start like ${name} but the decoder reads them as ${meta.format}`);
    }
    const frames = meta.pages ?? 1;
    const frameHeight = meta.pageHeight ?? meta.height;
    this.checkPixels(meta.width, frameHeight, name);
    if (frames > this.limits.maxFrames) {
      throw new ImageTooManyFramesError(
        `The ${name} has ${n(frames)} frames; the limit is ${n(this.limits.maxFrames)}`,
      );
    }
    if (staged.markup) {
      throw new ImagePolyglotError(`The ${name} also contains markup (${staged.markup}): an image/HTML polyglot`);
    }
    const hash = await this.decode(staged.path, name);
    const extra = await trailingData(staged.path, format, staged.bytes);
    if (extra) throw new ImagePolyglotError(`The ${name} carries another payload: ${extra}`);
    const orientation = meta.orientation ?? null;
    const turned = orientation !== null && orientation >= 5;
    const base = {
      format,
      originalFormat: format,
      width: turned ? frameHeight : meta.width,
      height: turned ? meta.width : frameHeight,
      frames,
      orientation,
      phash: hash,
    };
    if (!strip)
      return { ...base, path: staged.path, sha256: staged.sha256, bytes: staged.bytes, metadataStripped: false };
    // Re-encoded with the orientation applied: EXIF (GPS included), XMP and IPTC are not copied.
    const out = this.newTempPath();
    await sharp(staged.path, { limitInputPixels: this.limits.maxPixels, animated: frames > 1 })
      .rotate()
      .toFormat(VIPS_FORMAT[format], STRIP_QUALITY[format])
      .toFile(out);
    await rm(staged.path, { force: true });
    return { ...base, ...(await describeFile(out)), metadataStripped: true };
  }

  private async fromSvg(staged: StagedFile): Promise<InspectedImage> {
    const svg = await readFile(staged.path, 'utf8');
    const external = svgExternalReference(svg);
    if (external) throw new ImageExternalReferenceError(`The SVG is refused: it contains ${external}`);
    let meta: Metadata;
    try {
      meta = await sharp(Buffer.from(svg), { limitInputPixels: false }).metadata();
    } catch (err) {
      throw new ImageCorruptError(`The SVG cannot be read: ${vipsMessage(err)}`, { cause: err });
    }
    this.checkPixels(meta.width, meta.height, 'SVG');
    const out = this.newTempPath();
    try {
      await sharp(Buffer.from(svg), { limitInputPixels: this.limits.maxPixels }).png().toFile(out);
    } catch (err) {
      throw new ImageCorruptError(`The SVG cannot be rendered: ${vipsMessage(err)}`, { cause: err });
    }
    await rm(staged.path, { force: true });
    return this.converted(out, 'svg');
  }

  private async fromBmp(staged: StagedFile): Promise<InspectedImage> {
    if (staged.markup) {
      throw new ImagePolyglotError(`The BMP also contains markup (${staged.markup}): an image/HTML polyglot`);
    }
    const size = bmpDimensions(await readHead(staged.path, 26));
    if (!size) throw new ImageCorruptError('The BMP header cannot be read');
    this.checkPixels(size.width, size.height, 'BMP');
    let raw: ReturnType<typeof decodeBmp>;
    try {
      raw = decodeBmp(await readFile(staged.path));
    } catch (err) {
      throw new ImageCorruptError(`The BMP does not decode: ${vipsMessage(err)}`, { cause: err });
    }
    const out = this.newTempPath();
    await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
      .png()
      .toFile(out);
    await rm(staged.path, { force: true });
    return this.converted(out, 'bmp');
  }

  private async converted(path: string, originalFormat: InputFormat): Promise<InspectedImage> {
    const meta = await sharp(path).metadata();
    return {
      ...(await describeFile(path)),
      format: 'png',
      originalFormat,
      width: meta.width,
      height: meta.height,
      frames: 1,
      orientation: null,
      phash: await this.decode(path, 'PNG'),
      metadataStripped: true,
    };
  }

  private checkPixels(width: number, height: number, name: string): void {
    if (width * height > this.limits.maxPixels) {
      throw new ImageTooManyPixelsError(
        `The ${name} is ${n(width)} × ${n(height)} = ${n(width * height)} pixels; the limit is ${n(this.limits.maxPixels)} (refused from its header, nothing decoded)`,
      );
    }
  }

  /** Decodes every pixel (warnings such as a premature end are errors) and answers the pHash. */
  private async decode(path: string, name: string): Promise<string> {
    try {
      const bits = await phash(path, { limitInputPixels: this.limits.maxPixels, failOn: 'warning' });
      return BigInt(`0b${bits}`).toString(16).padStart(16, '0');
    } catch (err) {
      throw new ImageCorruptError(`The ${name} does not decode (truncated or corrupt): ${vipsMessage(err)}`, {
        cause: err,
      });
    }
  }
}

/** Encoder settings when metadata is stripped: visually lossless, since the upload is the original. */
const STRIP_QUALITY: Record<StoredFormat, object> = {
  jpeg: { quality: 95 },
  png: {},
  webp: { quality: 95 },
  gif: {},
  tiff: {},
  avif: { quality: 80 },
};

async function readHead(path: string, length: number): Promise<Buffer> {
  const f = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await f.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await f.close();
  }
}

/** SHA-256 and size of a file, streamed. */
export async function describeFile(path: string): Promise<{ path: string; sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, sha256: hash.digest('hex'), bytes: (await stat(path)).size };
}
