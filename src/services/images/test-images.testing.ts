import { crc32, deflateSync } from 'node:zlib';
import { encode } from 'fast-bmp';
import sharp from 'sharp';

/**
 * Images generated at run time for tests and benchmarks (no binary fixtures in the repository).
 * Pictures are smooth gradients with a few shapes, so perceptual hashes are meaningful.
 */
export function scene(width: number, height: number, variant = 0): sharp.Sharp {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="${variant % 2 ? '#103060' : '#f0c040'}"/>
      <stop offset="1" stop-color="${variant % 2 ? '#f08020' : '#2040a0'}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width * (0.3 + 0.1 * variant)}" cy="${height * 0.4}" r="${Math.min(width, height) * 0.2}" fill="#ffffff"/>
    <rect x="${width * 0.55}" y="${height * (0.5 - 0.05 * variant)}" width="${width * 0.3}" height="${height * 0.3}" fill="#000000"/>
  </svg>`;
  return sharp(Buffer.from(svg), { limitInputPixels: false });
}

export const jpeg = (width = 320, height = 240, variant = 0, quality = 90) =>
  scene(width, height, variant).jpeg({ quality }).toBuffer();
export const png = (width = 320, height = 240, variant = 0) => scene(width, height, variant).png().toBuffer();
export const webp = (width = 320, height = 240, variant = 0) => scene(width, height, variant).webp().toBuffer();

/** A JPEG with EXIF orientation 6 (stored sideways: displayed it is `height` × `width`) and GPS tags. */
export const jpegWithExif = (width = 320, height = 240) =>
  scene(width, height)
    .jpeg()
    .withExif({
      IFD0: { Make: 'FennecCam' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 0/1' },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();

/** An animated GIF of `frames` frames. */
export async function animatedGif(frames: number, size = 32): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width: size, height: size, channels: 3, background: { r: (i * 40) % 256, g: 80, b: 160 } } })
        .raw()
        .toBuffer(),
    ),
  );
  return sharp(Buffer.concat(pages), { raw: { width: size, height: size * frames, channels: 3, pageHeight: size } })
    .gif()
    .toBuffer();
}

/** A 24-bit BMP (libvips cannot write BMP). */
export async function bmp(width = 64, height = 48): Promise<Buffer> {
  const { data, info } = await scene(width, height).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return Buffer.from(
    encode({ width: info.width, height: info.height, data, bitsPerPixel: 24, components: 3, channels: 3 }),
  );
}

const chunk = (type: string, data: Buffer) => {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

/**
 * A decompression bomb: a PNG header declaring `size` × `size` pixels (50,000² = 2.5 gigapixels,
 * 10 GB decoded) over a few KB of deflated zeros.
 */
export function pngBomb(size = 50_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const rows = deflateSync(Buffer.alloc(size * 3 + 1), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A minimal zip archive (one stored, empty file): what polyglots append to an image. */
export function zipArchive(): Buffer {
  const name = Buffer.from('payload.txt');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length, 16);
  return Buffer.concat([local, name, central, name, end]);
}

/** An SVG drawing that references a file outside itself. */
export const svgWithExternalHref = (href = 'file:///etc/passwd') =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"><image xlink:href="${href}" width="64" height="64"/></svg>`,
  );

export const svgSelfContained = () =>
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40"><defs><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient></defs><rect width="80" height="40" fill="url(#g)"/></svg>',
  );
