export const CAPTION_STYLES = ['descriptive', 'short', 'tags', 'sd-prompt', 'custom'] as const;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];

/** Word bounds per style (tags: number of tags). `maxWords` of a request replaces the upper bound. */
export const STYLE_BOUNDS: Record<CaptionStyle, { min: number; max: number }> = {
  descriptive: { min: 8, max: 80 },
  short: { min: 3, max: 20 },
  tags: { min: 3, max: 25 },
  'sd-prompt': { min: 5, max: 60 },
  custom: { min: 1, max: 150 },
};

/** What one caption request asks for, resolved (defaults applied). */
export interface CaptionSpec {
  style: CaptionStyle;
  /** The caller's instruction (style `custom`). */
  prompt?: string;
  minWords: number;
  maxWords: number;
  /** ISO 639-1 code, or undefined: no language asked for. */
  language?: string;
  model: string;
}

/** Ollama structured output for tags: an object with a list of `{ tag, confidence }`. */
export const TAGS_SCHEMA = {
  type: 'object',
  properties: {
    tags: {
      type: 'array',
      items: {
        type: 'object',
        properties: { tag: { type: 'string' }, confidence: { type: 'number' } },
        required: ['tag', 'confidence'],
      },
    },
  },
  required: ['tags'],
} as const;

const languageName = (code: string) => new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;

/** The instruction for a style. Length and language are stated, so the model can meet the checks. */
export function captionPrompt(spec: CaptionSpec): string {
  const lang = spec.language ? ` Answer in ${languageName(spec.language)}.` : '';
  switch (spec.style) {
    case 'descriptive':
      return `Describe this image in one paragraph of at most ${spec.maxWords} words: the main subject, colours, composition and setting. Answer with the description only.${lang}`;
    case 'short':
      return `Write a one-sentence caption for this image, at most ${spec.maxWords} words. Answer with the caption only.${lang}`;
    case 'tags':
      return `List between ${spec.minWords} and ${spec.maxWords} short tags (one to three words each) for this image: objects, colours, style, setting, with a confidence from 0 to 1 for each. Answer in JSON.${lang}`;
    case 'sd-prompt':
      return `Write a Stable Diffusion prompt that would reproduce this image: comma-separated phrases, subject first, then style, lighting and composition, at most ${spec.maxWords} words. Answer with the prompt only.${lang}`;
    case 'custom':
      return `${spec.prompt ?? ''}\n\nAnswer in at most ${spec.maxWords} words.${lang}`;
  }
}

/**
 * The retry's instruction after a failed answer: the same request with explicit rules against
 * what failed (named, so the model knows what to avoid).
 */
export function stricterPrompt(spec: CaptionSpec, failed: string[]): string {
  const rules = [
    'Do not refuse, apologise or mention being an AI: describe only what is visible.',
    'Do not start with "Sure", "Here is" or "The image shows"; give the answer itself.',
    'Never repeat a phrase.',
    spec.style === 'tags'
      ? `Give between ${spec.minWords} and ${spec.maxWords} distinct tags of one to three words.`
      : `Use between ${spec.minWords} and ${spec.maxWords} words.`,
  ];
  if (spec.language) rules.push(`Write only in ${languageName(spec.language)}.`);
  return `${captionPrompt(spec)}\n\nYour previous answer failed these checks: ${failed.join(', ')}. Rules:\n- ${rules.join('\n- ')}`;
}
