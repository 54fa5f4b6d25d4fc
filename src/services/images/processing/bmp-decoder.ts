import { decode } from 'fast-bmp';

/** BMP width and height from its header (BITMAPINFOHEADER and later), before anything is decoded. */
export function bmpDimensions(head: Buffer): { width: number; height: number } | undefined {
  if (head.length < 26 || head.toString('latin1', 0, 2) !== 'BM') return undefined;
  const dibSize = head.readUInt32LE(14);
  if (dibSize === 12) return { width: head.readUInt16LE(18), height: head.readUInt16LE(20) };
  return { width: Math.abs(head.readInt32LE(18)), height: Math.abs(head.readInt32LE(22)) };
}

/**
 * Decodes a BMP (libvips has no BMP loader) to raw 8-bit pixels sharp can take. Throws on a BMP
 * the decoder cannot read or a bit depth it answers packed (1/4-bit palettes are unpacked by it).
 */
export function decodeBmp(bytes: Buffer): { data: Buffer; width: number; height: number; channels: 1 | 3 | 4 } {
  const image = decode(bytes);
  const channels: number = image.channels;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`${channels} channels`);
  const raw = image.data;
  if (!ArrayBuffer.isView(raw)) throw new Error('an unexpected decoder output');
  const data = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (data.length !== image.width * image.height * channels) {
    throw new Error(`${image.bitsPerPixel}-bit pixels the decoder does not unpack`);
  }
  return { data, width: image.width, height: image.height, channels };
}
