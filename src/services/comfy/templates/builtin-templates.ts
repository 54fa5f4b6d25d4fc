import type { ApiWorkflow } from '../comfy.types';
import type { ComfyTemplate, TemplateParam } from './comfy-template';

/** ComfyUI's default graph (the one its editor opens with): checkpoint → prompts → KSampler → save. */
function baseGraph(checkpoint: string): ApiWorkflow {
  return {
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed: 0,
        steps: 20,
        cfg: 8,
        sampler_name: 'euler',
        scheduler: 'normal',
        denoise: 1,
        model: ['4', 0],
        positive: ['6', 0],
        negative: ['7', 0],
        latent_image: ['5', 0],
      },
    },
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: checkpoint } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'fennec', images: ['8', 0] } },
  };
}

function samplingParams(checkpoint: string): Record<string, TemplateParam> {
  return {
    prompt: {
      type: 'string',
      required: true,
      maxLength: 10_000,
      targets: [{ node: '6', input: 'text' }],
      description: 'What to draw',
    },
    negativePrompt: { type: 'string', default: '', maxLength: 10_000, targets: [{ node: '7', input: 'text' }] },
    seed: { type: 'integer', default: 0, min: 0, max: 0xffffffffffff, targets: [{ node: '3', input: 'seed' }] },
    steps: { type: 'integer', default: 20, min: 1, max: 150, targets: [{ node: '3', input: 'steps' }] },
    cfg: { type: 'number', default: 8, min: 0, max: 30, targets: [{ node: '3', input: 'cfg' }] },
    sampler: { type: 'string', default: 'euler', targets: [{ node: '3', input: 'sampler_name' }] },
    scheduler: { type: 'string', default: 'normal', targets: [{ node: '3', input: 'scheduler' }] },
    checkpoint: { type: 'string', default: checkpoint, targets: [{ node: '4', input: 'ckpt_name' }] },
  };
}

/** The built-in templates, `text2img` and `img2img`, using `checkpoint` unless the caller names one. */
export function builtinTemplates(checkpoint: string): ComfyTemplate[] {
  const text2img: ComfyTemplate = {
    name: 'text2img',
    description: 'Text to image with ComfyUI’s default graph',
    workflow: baseGraph(checkpoint),
    idempotent: true,
    params: {
      ...samplingParams(checkpoint),
      width: { type: 'integer', default: 512, min: 16, max: 8192, targets: [{ node: '5', input: 'width' }] },
      height: { type: 'integer', default: 512, min: 16, max: 8192, targets: [{ node: '5', input: 'height' }] },
      batchSize: { type: 'integer', default: 1, min: 1, max: 16, targets: [{ node: '5', input: 'batch_size' }] },
    },
  };
  const img2imgGraph = baseGraph(checkpoint);
  delete img2imgGraph['5'];
  img2imgGraph['10'] = { class_type: 'LoadImage', inputs: { image: '' } };
  img2imgGraph['11'] = { class_type: 'VAEEncode', inputs: { pixels: ['10', 0], vae: ['4', 2] } };
  img2imgGraph['3'].inputs = { ...img2imgGraph['3'].inputs, latent_image: ['11', 0], denoise: 0.75 };
  const img2img: ComfyTemplate = {
    name: 'img2img',
    description: 'Image to image: the input image (an image-store id) re-drawn under the prompt',
    workflow: img2imgGraph,
    idempotent: true,
    params: {
      ...samplingParams(checkpoint),
      image: {
        type: 'image',
        required: true,
        targets: [{ node: '10', input: 'image' }],
        description: 'Image id in your image store',
      },
      denoise: { type: 'number', default: 0.75, min: 0, max: 1, targets: [{ node: '3', input: 'denoise' }] },
    },
  };
  return [text2img, img2img];
}
