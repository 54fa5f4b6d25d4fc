import { RequestValidationError } from '../../../platform/errors';
import type { OllamaChunk } from '../ollama.types';
import { toBase64Vector, toCompletion, toOllamaMessages, toOllamaOptions } from './openai-mapping';

describe('OpenAI mapping', () => {
  it('should map roles and content parts, images from data: URLs', () => {
    expect(
      toOllamaMessages([
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is ' },
            { type: 'text', text: 'this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        { role: 'assistant', content: null },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is this?', images: ['iVBORw0KGgo='] },
      { role: 'assistant', content: '' },
    ]);
  });

  it('should refuse remote image URLs and unknown parts', () => {
    const remote = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }];
    expect(() => toOllamaMessages(remote)).toThrow(RequestValidationError);
    expect(() => toOllamaMessages([{ role: 'user', content: [{ type: 'audio' }] }])).toThrow(/only text/);
  });

  it('should map sampling parameters to Ollama options and JSON mode to format', () => {
    expect(
      toOllamaOptions({
        temperature: 0.2,
        max_tokens: 5,
        stop: 'END',
        seed: 1,
        response_format: { type: 'json_object' },
      }),
    ).toEqual({ options: { temperature: 0.2, num_predict: 5, stop: ['END'], seed: 1 }, format: 'json' });
    expect(() => toOllamaOptions({ n: 2 })).toThrow(/n = 1/);
    expect(() => toOllamaOptions({ temperature: 'hot' })).toThrow(/number/);
  });

  it('should build a completion with finish_reason and usage from the final chunk', () => {
    const out = {
      model: 'm:1',
      created_at: '',
      done: true,
      done_reason: 'length',
      message: { role: 'assistant', content: 'Hi' },
      prompt_eval_count: 4,
      eval_count: 2,
    } as OllamaChunk;
    expect(toCompletion('id', 1, out)).toMatchObject({
      choices: [{ message: { content: 'Hi' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
    });
  });

  it('should encode vectors as little-endian float32 base64', () => {
    const bytes = Buffer.from(toBase64Vector([0.5, -1, 2]), 'base64');
    expect([0, 4, 8].map((o) => bytes.readFloatLE(o))).toEqual([0.5, -1, 2]);
  });
});
