import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageTooLargeError } from '../images.errors';

/** An upload written to a temporary file in DATA_DIR, with what was learnt while writing it. */
export interface StagedFile {
  path: string;
  bytes: number;
  sha256: string;
  /** Markup or script found in the bytes (an HTML/PHP polyglot), if any. */
  markup?: string;
}

/**
 * Markup a raster image never contains and a browser or interpreter would act on (the classic
 * image/HTML polyglots). Searched in the raw bytes while they stream by, so no file is ever held
 * whole in memory; chunks overlap by a few bytes so a marker split between two is still found.
 */
const MARKUP = /<(script|html|iframe|object|embed|body)[\s>/]|<\?php/i;
const OVERLAP = 16;

/**
 * Streams `source` to a new file under `dir`, hashing it and looking for markup on the way, and
 * refusing it (IMAGES.TOO_LARGE, the partial file removed) once it passes `maxBytes`.
 */
export async function stageFile(source: Readable, dir: string, maxBytes: number): Promise<StagedFile> {
  const path = join(dir, `${randomUUID()}.upload`);
  const hash = createHash('sha256');
  let bytes = 0;
  let tail = '';
  let markup: string | undefined;
  const inspect = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        done(new ImageTooLargeError(`The image is larger than ${maxBytes} bytes (IMAGES_MAX_BYTES)`));
        return;
      }
      hash.update(chunk);
      if (markup === undefined) {
        const text = tail + chunk.toString('latin1');
        markup = MARKUP.exec(text)?.[0];
        tail = text.slice(-OVERLAP);
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, inspect, createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, bytes, sha256: hash.digest('hex'), ...(markup ? { markup: markup.trim() } : {}) };
}
