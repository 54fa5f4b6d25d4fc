import { applyParams, parseParams, templateProblems } from './comfy-template';
import { builtinTemplates } from './builtin-templates';

describe('templates', () => {
  const [text2img, img2img] = builtinTemplates('model.safetensors');

  it('should fill named parameters into a copy of the workflow, defaults included', () => {
    const { workflow, images, problems } = applyParams(text2img, { prompt: 'a cat', seed: 9, cfg: 6.5 });
    expect(problems).toEqual([]);
    expect(images).toEqual([]);
    expect(workflow['6'].inputs.text).toBe('a cat');
    expect(workflow['3'].inputs).toMatchObject({ seed: 9, cfg: 6.5, steps: 20 });
    expect(workflow['4'].inputs.ckpt_name).toBe('model.safetensors');
    expect(text2img.workflow['6'].inputs.text).toBe(''); // the template is untouched
  });

  it('should list unknown, missing, ill-typed and out-of-range parameters', () => {
    const { problems } = applyParams(text2img, { seed: -1, steps: 2.5, cfg: 'high', width: 99999, extra: 1 });
    expect(problems.map((p) => p.field).sort()).toEqual([
      'params.cfg',
      'params.extra',
      'params.prompt',
      'params.seed',
      'params.steps',
      'params.width',
    ]);
  });

  it('should hand image parameters back for upload instead of setting them', () => {
    const { images, workflow } = applyParams(img2img, { prompt: 'x', image: 'img-1' });
    expect(images).toEqual([{ imageId: 'img-1', targets: [{ node: '10', input: 'image' }] }]);
    expect(workflow['10'].inputs.image).toBe('');
  });

  it('should check a definition: shape of the map, targets in the workflow, defaults that fit', () => {
    expect(templateProblems(text2img)).toEqual([]);
    expect(parseParams({ a: { type: 'colour', targets: [], foo: 1 }, b: 'x' }).problems.map((p) => p.field)).toEqual([
      'params.a',
      'params.a.type',
      'params.a.targets',
      'params.b',
    ]);
    const broken = {
      ...text2img,
      params: { seed: { type: 'integer' as const, default: 500, max: 10, targets: [{ node: '77', input: 'seed' }] } },
    };
    expect(templateProblems(broken).map((p) => p.field)).toEqual(['params.seed.targets.0', 'params.seed.default']);
  });
});
