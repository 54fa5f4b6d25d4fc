import type { DiffusionCatalogEntries } from './diffusion-catalog';
import type { DiffusionConfig } from './diffusion.config';
import { DiffusionInvalidRequestError } from './diffusion.errors';
import { DiffusionSettings } from './diffusion.settings';
import { allowedModels, planGeneration, promptsOf } from './generation-plan';

const catalog: DiffusionCatalogEntries = {
  models: [
    { title: 'dreamshaper_8.safetensors [879db523c3]', model_name: 'dreamshaper_8', hash: '879db523c3' },
    { title: 'sd_xl_base_1.0.safetensors [31e35c80fc]', model_name: 'sd_xl_base_1.0', hash: '31e35c80fc' },
  ],
  samplers: [{ name: 'Euler a', aliases: ['k_euler_a'] }, { name: 'DPM++ 2M' }],
  schedulers: [{ name: 'karras', label: 'Karras' }],
  fetchedAt: 0,
};
const config = { minSize: 64, maxSize: 1024, maxSteps: 100, maxImagesPerPrompt: 4, maxPrompts: 3 } as DiffusionConfig;
const settings = (over: Partial<DiffusionSettings> = {}) => Object.assign(new DiffusionSettings(), over);
const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DiffusionInvalidRequestError);
    return (err as DiffusionInvalidRequestError).fieldErrors!.map((e) => e.field).sort();
  }
  throw new Error('expected a DiffusionInvalidRequestError');
};

describe('planGeneration', () => {
  it('should fill defaults and resolve names and aliases to what the server calls them', () => {
    const p = planGeneration(
      { prompts: [{ prompt: 'x' }], sampler: 'k_euler_a', scheduler: 'Karras', model: '879db523c3' },
      catalog,
      settings(),
      config,
    );
    expect(p).toMatchObject({
      route: 'txt2img',
      sampler_name: 'Euler a',
      scheduler: 'karras',
      steps: 20,
      width: 512,
      height: 512,
      model: { title: 'dreamshaper_8.safetensors [879db523c3]', model_name: 'dreamshaper_8' },
    });
  });

  it('should name every bad field at once', () => {
    expect(
      fieldsOf(() =>
        planGeneration(
          {
            prompts: [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c' }, { prompt: 'd' }],
            width: 100,
            height: 2048,
            steps: 101,
            cfg_scale: 40,
            batch_size: 3,
            n_iter: 2,
            sampler: 'nope',
            scheduler: 'nope',
            model: 'nope',
            mask_image_id: 'm',
          },
          catalog,
          settings(),
          config,
        ),
      ),
    ).toEqual([
      'batch_size',
      'cfg_scale',
      'height',
      'mask_image_id',
      'model',
      'prompts',
      'sampler',
      'scheduler',
      'steps',
      'width',
    ]);
  });

  it('should keep to the allow-list, and plan img2img with its defaults', () => {
    const only = settings({ allowedModels: ['sd_xl_base_1.0'] });
    expect(allowedModels(catalog, only).map((m) => m.model_name)).toEqual(['sd_xl_base_1.0']);
    expect(
      fieldsOf(() => planGeneration({ prompts: [{ prompt: 'x' }], model: 'dreamshaper_8' }, catalog, only, config)),
    ).toEqual(['model']);
    const p = planGeneration(
      { prompts: [{ prompt: 'x' }], init_image_id: 'i', mask_image_id: 'm' },
      catalog,
      settings(),
      config,
    );
    expect(p).toMatchObject({ route: 'img2img', init_image_id: 'i', mask_image_id: 'm', denoising_strength: 0.75 });
  });

  it('should give each prompt its own seed, else the request seed, else random', () => {
    expect(promptsOf({ prompts: [{ prompt: 'a', seed: 5 }, { prompt: 'b' }], seed: 9 }).map((p) => p.seed)).toEqual([
      5, 9,
    ]);
    expect(promptsOf({ prompts: [{ prompt: 'a' }] })[0]).toEqual({ prompt: 'a', negative_prompt: '', seed: -1 });
  });
});
