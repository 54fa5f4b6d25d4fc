import type { Response } from 'express';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import type { ImageRecord, ImageStore } from '../images';

const PAGE = 200;
const EXTENSIONS: Record<string, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tif',
  avif: 'avif',
};

export interface ExportOptions {
  minScore?: number;
  includeFlagged: boolean;
}

/** The tenant's captioned images that pass the options, newest first, read page by page. */
export async function* captionedImages(
  store: ImageStore,
  tenant: string,
  options: ExportOptions,
): AsyncGenerator<ImageRecord> {
  for (let offset = 0; ; offset += PAGE) {
    const { items } = await store.list(tenant, {}, { offset, limit: PAGE });
    for (const r of items) {
      if (r.caption === null) continue;
      if (!options.includeFlagged && r.captionInfo?.flagged) continue;
      if (options.minScore !== undefined && (r.captionInfo?.score ?? 0) < options.minScore) continue;
      yield r;
    }
    if (items.length < PAGE) return;
  }
}

/** One JSON line per captioned image, streamed (a slow reader is waited for, not buffered for). */
export async function exportJsonl(res: Response, images: AsyncIterable<ImageRecord>): Promise<void> {
  res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('content-disposition', 'attachment; filename="captions.jsonl"');
  for await (const r of images) {
    if (res.destroyed) return;
    const line = {
      id: r.id,
      file: `${r.id}.${EXTENSIONS[r.format]}`,
      filename: r.filename,
      sha256: r.sha256,
      width: r.width,
      height: r.height,
      caption: r.caption,
      ...(r.captionInfo
        ? {
            tags: r.captionInfo.tags,
            style: r.captionInfo.style,
            model: r.captionInfo.model,
            language: r.captionInfo.language,
            score: r.captionInfo.score,
            flagged: r.captionInfo.flagged,
          }
        : {}),
    };
    if (!res.write(JSON.stringify(line) + '\n')) await once(res, 'drain');
  }
  res.end();
}

/**
 * A tar archive with `<id>.txt` (the caption; tags comma-separated) beside `<id>.<ext>` (the
 * original bytes, unless `includeImages` is false): the layout LoRA/fine-tuning tools read.
 * Streamed entry by entry with tar-stream; image bytes go from disk straight into the archive.
 */
export async function exportTar(
  res: Response,
  store: ImageStore,
  tenant: string,
  images: AsyncIterable<ImageRecord>,
  includeImages: boolean,
): Promise<void> {
  res.setHeader('content-type', 'application/x-tar');
  res.setHeader('content-disposition', 'attachment; filename="captions.tar"');
  const pack = tarPack();
  const sent = pipeline(pack, res);
  try {
    for await (const r of images) {
      if (res.destroyed) break;
      // The path first: an image deleted since it was listed is left out whole.
      const path = includeImages ? await store.originalPath(tenant, r.id).catch(() => undefined) : undefined;
      if (includeImages && path === undefined) continue;
      const text = Buffer.from((r.captionInfo?.tags?.join(', ') ?? r.caption ?? '') + '\n', 'utf8');
      const mtime = new Date(r.captionInfo?.createdAt ?? r.createdAt);
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: `${r.id}.txt`, size: text.length, mtime }, text, (err) => (err ? reject(err) : resolve())),
      );
      if (path !== undefined) {
        const entry = pack.entry({
          name: `${r.id}.${EXTENSIONS[r.format]}`,
          size: r.bytes,
          mtime: new Date(r.createdAt),
        });
        await pipeline(createReadStream(path), entry);
      }
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await sent.catch(() => undefined);
}
