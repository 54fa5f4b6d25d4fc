import type { FieldError } from '../../../platform/errors';
import type { TransformOperationDto } from '../dto/transform-request.dto';
import { ImageProcessingRequestError } from '../images.errors';
import type { TransformStep } from './variant-spec';

const FIELDS: Record<TransformOperationDto['op'], (keyof TransformOperationDto)[]> = {
  resize: ['width', 'height', 'fit'],
  crop: ['left', 'top', 'width', 'height'],
  rotate: ['angle'],
  flip: ['direction'],
  grayscale: [],
  blur: ['sigma'],
};

/**
 * Checks explicit operations against the image they will run on, following its size through each
 * step: a crop must lie inside the image as it is at that point, and no step may produce a side
 * longer than `maxDimension` (no amplification). Answers the steps to render, or one 400 naming
 * every bad field.
 */
export function planTransform(
  operations: TransformOperationDto[],
  size: { width: number; height: number },
  maxDimension: number,
): TransformStep[] {
  const errors: FieldError[] = [];
  const steps: TransformStep[] = [];
  let { width, height } = size;
  operations.forEach((o, i) => {
    const at = `operations.${i}`;
    const fail = (field: string, message: string) => errors.push({ field: `${at}.${field}`, message });
    for (const key of Object.keys(o) as (keyof TransformOperationDto)[]) {
      if (key !== 'op' && o[key] !== undefined && !FIELDS[o.op].includes(key)) fail(key, `does not apply to ${o.op}`);
    }
    switch (o.op) {
      case 'resize': {
        if (o.width === undefined && o.height === undefined) fail('width', 'resize needs width or height');
        const fit = o.fit ?? 'inside';
        const scale = Math.min(o.width ? o.width / width : Infinity, o.height ? o.height / height : Infinity);
        const next =
          fit === 'inside' || o.width === undefined || o.height === undefined
            ? { width: Math.round(width * scale), height: Math.round(height * scale) }
            : { width: o.width, height: o.height };
        width = Math.max(1, next.width);
        height = Math.max(1, next.height);
        steps.push({ op: 'resize', width: o.width, height: o.height, fit });
        break;
      }
      case 'crop': {
        const { left = 0, top = 0, width: w, height: h } = o;
        if (w === undefined || h === undefined) fail('width', 'crop needs width and height');
        else if (left + w > width || top + h > height) {
          fail('width', `the crop ${w}×${h} at (${left}, ${top}) is outside the ${width}×${height} image`);
        } else {
          steps.push({ op: 'crop', left, top, width: w, height: h });
          width = w;
          height = h;
        }
        break;
      }
      case 'rotate': {
        if (o.angle === undefined) fail('angle', 'rotate needs angle');
        const angle = o.angle ?? 0;
        const rad = (angle * Math.PI) / 180;
        const [c, s] = [Math.abs(Math.cos(rad)), Math.abs(Math.sin(rad))];
        [width, height] = [Math.round(width * c + height * s), Math.round(width * s + height * c)];
        steps.push({ op: 'rotate', angle });
        break;
      }
      case 'flip':
        steps.push({ op: 'flip', direction: o.direction ?? 'horizontal' });
        break;
      case 'grayscale':
        steps.push({ op: 'grayscale' });
        break;
      case 'blur':
        if (o.sigma === undefined) fail('sigma', 'blur needs sigma');
        steps.push({ op: 'blur', sigma: o.sigma ?? 1 });
        break;
    }
    if (width > maxDimension || height > maxDimension) {
      fail('op', `${o.op} would make the image ${width}×${height}; the limit is ${maxDimension} per side`);
    }
  });
  if (errors.length > 0) {
    throw new ImageProcessingRequestError(`The operations cannot run on this image: ${errors[0].message}`, {
      fieldErrors: errors,
    });
  }
  return steps;
}
