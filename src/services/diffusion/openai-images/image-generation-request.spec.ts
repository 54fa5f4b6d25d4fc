import { RequestValidationError } from '../../../platform/errors';
import { parseImageGenerationRequest, stepsForQuality } from './image-generation-request';

describe('parseImageGenerationRequest', () => {
  it("should read OpenAI's fields, treat OpenAI model names as the default and ignore fields it has no use for", () => {
    expect(
      parseImageGenerationRequest({
        prompt: 'a fox',
        model: 'dall-e-3',
        n: 2,
        size: '512x768',
        response_format: 'url',
        output_format: 'webp',
        output_compression: 80,
        quality: 'hd',
        style: 'vivid',
        user: 'u1',
      }),
    ).toEqual({
      prompt: 'a fox',
      model: undefined,
      n: 2,
      width: 512,
      height: 768,
      responseFormat: 'url',
      outputFormat: 'webp',
      outputCompression: 80,
      quality: 'hd',
    });
    expect(parseImageGenerationRequest({ prompt: 'x', model: 'dreamshaper_8', size: 'auto' })).toMatchObject({
      model: 'dreamshaper_8',
      width: undefined,
      outputFormat: 'png',
      quality: 'auto',
    });
  });

  it.each([
    [[], undefined],
    [{ prompt: '' }, 'prompt'],
    [{ prompt: 'x', n: 11 }, 'n'],
    [{ prompt: 'x', size: 'big' }, 'size'],
    [{ prompt: 'x', response_format: 'jpeg' }, 'response_format'],
    [{ prompt: 'x', output_format: 'gif' }, 'output_format'],
    [{ prompt: 'x', output_compression: 101 }, 'output_compression'],
    [{ prompt: 'x', quality: 'ultra' }, 'quality'],
    [{ prompt: 'x', stream: true }, 'stream'],
    [{ prompt: 'x', background: 'transparent' }, 'background'],
    [{ prompt: 'x', model: 3 }, 'model'],
  ])('should refuse %j naming %s', (body, field) => {
    try {
      parseImageGenerationRequest(body);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(RequestValidationError);
      expect((err as RequestValidationError).fieldErrors?.[0]?.field).toBe(field);
    }
  });

  it('should map quality to steps', () => {
    const steps = [10, 20, 40];
    expect(
      ['low', 'medium', 'standard', 'high', 'hd', 'auto'].map((q) => stepsForQuality(q as 'low', steps, 25)),
    ).toEqual([10, 20, 20, 40, 40, 25]);
  });
});
