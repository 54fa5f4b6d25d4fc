import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { hammingDistance } from '../image-record';
import {
  ImageCorruptError,
  ImageExternalReferenceError,
  ImagePolyglotError,
  ImageTooLargeError,
  ImageTooManyFramesError,
  ImageTooManyPixelsError,
  ImageUnsupportedFormatError,
} from '../images.errors';
import * as img from '../test-images.testing';
import { ImageInspector } from './image-inspector';
import { stageFile } from './staged-file';

describe(ImageInspector.name, () => {
  let dir: string;
  let inspector: ImageInspector;
  const limits = { maxBytes: 5_000_000, maxPixels: 4_000_000, maxFrames: 10 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fennec-inspect-'));
    inspector = new ImageInspector(limits, () => join(dir, `${randomUUID()}.tmp`));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const inspect = async (bytes: Buffer, stripMetadata = false) =>
    inspector.inspect(await stageFile(Readable.from([bytes]), dir, limits.maxBytes), { stripMetadata });

  it('should detect JPEG, PNG, WebP and animated GIF from their bytes, with size, frames and hashes', async () => {
    expect(await inspect(await img.jpeg(320, 240))).toMatchObject({
      format: 'jpeg',
      width: 320,
      height: 240,
      frames: 1,
    });
    expect(await inspect(await img.png(64, 32))).toMatchObject({ format: 'png', width: 64, height: 32 });
    expect(await inspect(await img.webp(50, 60))).toMatchObject({ format: 'webp', width: 50, height: 60 });
    const gif = await inspect(await img.animatedGif(3));
    expect(gif).toMatchObject({ format: 'gif', width: 32, height: 32, frames: 3 });
    expect(gif.phash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('should convert a BMP and rasterise a self-contained SVG to PNG', async () => {
    expect(await inspect(await img.bmp(64, 48))).toMatchObject({
      format: 'png',
      originalFormat: 'bmp',
      width: 64,
      height: 48,
    });
    expect(await inspect(img.svgSelfContained())).toMatchObject({
      format: 'png',
      originalFormat: 'svg',
      width: 80,
      height: 40,
    });
  });

  it('should refuse a decompression bomb from its header', async () => {
    const started = performance.now();
    await expect(inspect(img.pngBomb())).rejects.toThrow(ImageTooManyPixelsError);
    await expect(inspect(img.pngBomb())).rejects.toThrow('50,000 × 50,000 = 2,500,000,000 pixels');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('should refuse truncated and corrupt images, and non-images, by content', async () => {
    const jpeg = await img.jpeg(320, 240);
    await expect(inspect(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)))).rejects.toThrow(ImageCorruptError);
    const png = await img.png(64, 64);
    const garbled = Buffer.from(png);
    garbled.fill(0x41, 60, 200);
    await expect(inspect(garbled)).rejects.toThrow(ImageCorruptError);
    await expect(inspect(img.zipArchive())).rejects.toThrow(ImageUnsupportedFormatError);
    await expect(inspect(Buffer.from('just text, named cat.jpg'))).rejects.toThrow(ImageUnsupportedFormatError);
    await expect(inspect(Buffer.alloc(0))).rejects.toThrow('empty');
  });

  it('should refuse polyglots: a zip after the image, or markup inside it', async () => {
    await expect(inspect(Buffer.concat([await img.png(), img.zipArchive()]))).rejects.toThrow(ImagePolyglotError);
    await expect(inspect(Buffer.concat([await img.jpeg(), img.zipArchive()]))).rejects.toThrow(
      "after the JPEG's end-of-image marker",
    );
    await expect(inspect(Buffer.concat([await img.webp(), img.zipArchive()]))).rejects.toThrow(
      "after the WebP's RIFF container",
    );
    await expect(inspect(Buffer.concat([await img.animatedGif(2), img.zipArchive()]))).rejects.toThrow("GIF's trailer");
    const html = await sharp(await img.jpeg())
      .withMetadata()
      .jpeg()
      .toBuffer();
    const withScript = Buffer.concat([html.subarray(0, 2), comSegment('<script>alert(1)</script>'), html.subarray(2)]);
    await expect(inspect(withScript)).rejects.toThrow('image/HTML polyglot');
  });

  it('should refuse an SVG with an external reference', async () => {
    await expect(inspect(img.svgWithExternalHref())).rejects.toThrow(ImageExternalReferenceError);
    await expect(inspect(img.svgWithExternalHref('http://169.254.169.254/latest'))).rejects.toThrow(
      'xlink:href="http://169.254.169.254/latest"',
    );
  });

  it('should refuse too many frames and too many bytes', async () => {
    await expect(inspect(await img.animatedGif(12))).rejects.toThrow(ImageTooManyFramesError);
    await expect(stageFile(Readable.from([Buffer.alloc(2_000)]), dir, 1_000)).rejects.toThrow(ImageTooLargeError);
  });

  it('should report EXIF orientation and displayed size, and strip EXIF (GPS) on request', async () => {
    const exif = await img.jpegWithExif(320, 240);
    const kept = await inspect(exif);
    expect(kept).toMatchObject({ orientation: 6, width: 240, height: 320, metadataStripped: false });
    const stripped = await inspect(exif, true);
    expect(stripped).toMatchObject({ orientation: 6, width: 240, height: 320, metadataStripped: true });
    const meta = await sharp(stripped.path).metadata();
    expect(meta.exif).toBeUndefined();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([240, 320, 1]);
    expect(stripped.sha256).not.toBe(kept.sha256);
  });

  it('should give close perceptual hashes to a resized copy and distant ones to another picture', async () => {
    const a = await inspect(await img.jpeg(640, 480, 0));
    const resized = await inspect(await img.png(320, 240, 0));
    const other = await inspect(await img.jpeg(640, 480, 1));
    expect(hammingDistance(a.phash, resized.phash)).toBeLessThanOrEqual(6);
    expect(hammingDistance(a.phash, other.phash)).toBeGreaterThan(12);
  });
});

/** A JPEG comment (COM) segment. */
function comSegment(text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const head = Buffer.from([0xff, 0xfe, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}
