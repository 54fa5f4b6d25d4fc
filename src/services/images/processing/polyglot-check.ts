import { open } from 'node:fs/promises';
import type { StoredFormat } from '../image-record';

const JPEG_TAIL = 64 * 1024;

/**
 * Bytes after an image's own end: where zip archives, scripts and other payloads hide in
 * image polyglots (decoders stop at the end marker and never see them). libvips does not report
 * trailing data, and no maintained package checks it, hence this walk over the container:
 * PNG chunks up to IEND, the RIFF size of WebP, the JPEG end-of-image marker, the GIF trailer.
 * TIFF and AVIF address their data by offsets, so they are checked by decoding only.
 * Answers a description of the extra data, or undefined when the file ends where the image does.
 */
export async function trailingData(path: string, format: StoredFormat, size: number): Promise<string | undefined> {
  const f = await open(path, 'r');
  try {
    const read = async (position: number, length: number) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      if (buf.length > 0) await f.read(buf, 0, buf.length, position);
      return buf;
    };
    switch (format) {
      case 'png': {
        let at = 8;
        while (at + 12 <= size) {
          const head = await read(at, 8);
          const length = head.readUInt32BE(0);
          const type = head.toString('latin1', 4, 8);
          at += 12 + length;
          if (type === 'IEND') break;
        }
        return at < size ? `${size - at} bytes after the PNG's IEND chunk` : undefined;
      }
      case 'webp': {
        const riff = (await read(4, 4)).readUInt32LE(0) + 8;
        const end = riff + (riff % 2);
        return size > end ? `${size - end} bytes after the WebP's RIFF container` : undefined;
      }
      case 'jpeg': {
        const start = Math.max(0, size - JPEG_TAIL);
        const tail = await read(start, size - start);
        const eoi = tail.lastIndexOf(Buffer.from([0xff, 0xd9]));
        if (eoi < 0) return `no JPEG end-of-image marker in the last ${JPEG_TAIL} bytes`;
        // Some encoders pad with zeros after the marker; anything else is another payload.
        const extra = tail.subarray(eoi + 2);
        return extra.some((b) => b !== 0) ? `${extra.length} bytes after the JPEG's end-of-image marker` : undefined;
      }
      case 'gif': {
        const last = await read(size - 1, 1);
        return last[0] === 0x3b ? undefined : "data after the GIF's trailer (it does not end with 0x3B)";
      }
      case 'tiff':
      case 'avif':
        return undefined;
    }
  } finally {
    await f.close();
  }
}
