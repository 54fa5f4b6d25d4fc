import { ImageProcessingRequestError } from '../images.errors';
import { planTransform } from './transform-plan';

describe(planTransform.name, () => {
  const size = { width: 400, height: 300 };

  it('should follow the size through the steps, so a later crop is checked against the resized image', () => {
    expect(
      planTransform(
        [
          { op: 'resize', width: 200 },
          { op: 'crop', left: 10, top: 10, width: 100, height: 100 },
          { op: 'rotate', angle: 90 },
          { op: 'flip', direction: 'vertical' },
          { op: 'grayscale' },
          { op: 'blur', sigma: 2 },
        ],
        size,
        1_000,
      ),
    ).toEqual([
      { op: 'resize', width: 200, height: undefined, fit: 'inside' },
      { op: 'crop', left: 10, top: 10, width: 100, height: 100 },
      { op: 'rotate', angle: 90 },
      { op: 'flip', direction: 'vertical' },
      { op: 'grayscale' },
      { op: 'blur', sigma: 2 },
    ]);
    expect(() =>
      planTransform(
        [
          { op: 'resize', width: 200 },
          { op: 'crop', left: 0, top: 0, width: 300, height: 100 },
        ],
        size,
        1_000,
      ),
    ).toThrow('outside the 200×150 image');
  });

  it('should refuse a step that makes a side longer than the limit', () => {
    expect(() => planTransform([{ op: 'resize', width: 5_000 }], size, 4_096)).toThrow(ImageProcessingRequestError);
    expect(() => planTransform([{ op: 'rotate', angle: 45 }], { width: 4_000, height: 4_000 }, 4_096)).toThrow(
      'the limit is 4096 per side',
    );
  });

  it('should name fields that do not apply to the operation, and missing ones', () => {
    try {
      planTransform([{ op: 'grayscale', sigma: 3 }, { op: 'blur' }], size, 1_000);
      throw new Error('no error');
    } catch (err) {
      expect((err as ImageProcessingRequestError).fieldErrors).toEqual([
        { field: 'operations.0.sigma', message: 'does not apply to grayscale' },
        { field: 'operations.1.sigma', message: 'blur needs sigma' },
      ]);
    }
  });
});
