import sharp from 'sharp';

/**
 * The image as vision models accept it: JPEG (every Ollama runner decodes it; WebP, AVIF, TIFF
 * and animated GIF do not load on all of them, "Failed to load image"), orientation applied,
 * transparency flattened onto white, first frame of an animation, longest side at most
 * `maxSide` (never enlarged), as base64 without a data-URI prefix (Ollama's `images`).
 */
export async function visionImage(
  path: string,
  maxSide: number,
): Promise<{ base64: string; width: number; height: number }> {
  const { data, info } = await sharp(path, { pages: 1 })
    .rotate()
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 85 })
    .toBuffer({ resolveWithObject: true });
  return { base64: data.toString('base64'), width: info.width, height: info.height };
}
