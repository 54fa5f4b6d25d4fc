import { randomBytes } from 'node:crypto';
import { RequestValidationError } from '../../../platform/errors';
import type { OllamaChunk, OllamaMessage } from '../ollama.types';

type Json = Record<string, unknown>;

const invalid = (field: string, message: string) =>
  new RequestValidationError(message, { fieldErrors: [{ field, message }] });

export const completionId = () => `chatcmpl-${randomBytes(12).toString('hex')}`;

/** OpenAI message content (a string or parts) → Ollama's text plus base64 images. */
function toOllamaMessage(m: Json, i: number): OllamaMessage {
  const role = m.role === 'developer' ? 'system' : (m.role as string);
  if (typeof m.content === 'string' || m.content === null || m.content === undefined) {
    return { role, content: (m.content as string | null) ?? '' };
  }
  if (!Array.isArray(m.content))
    throw invalid(`messages.${i}.content`, 'content must be a string or an array of parts');
  let content = '';
  const images: string[] = [];
  for (const part of m.content as Json[]) {
    if (part?.type === 'text' && typeof part.text === 'string') content += part.text;
    else if (part?.type === 'image_url') {
      const url = (part.image_url as Json | undefined)?.url;
      const match = typeof url === 'string' ? /^data:image\/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=]+)$/i.exec(url) : null;
      if (!match) throw invalid(`messages.${i}.content`, 'image_url must be a base64 data: URL');
      images.push(match[1]);
    } else throw invalid(`messages.${i}.content`, 'only text and image_url parts are supported');
  }
  return images.length > 0 ? { role, content, images } : { role, content };
}

/** Maps OpenAI's messages (roles include `developer`) for the policy check and for Ollama. */
export function toOllamaMessages(messages: unknown): OllamaMessage[] {
  if (!Array.isArray(messages)) throw invalid('messages', 'messages must be an array');
  return messages.map((m, i) => {
    if (typeof m !== 'object' || m === null) throw invalid(`messages.${i}`, `messages.${i} must be an object`);
    return toOllamaMessage(m as Json, i);
  });
}

/** OpenAI sampling parameters → Ollama `options` (and `format` for JSON mode). */
export function toOllamaOptions(body: Json): { options: Json; format?: string } {
  const options: Json = {};
  const num = (k: string, to: string) => {
    if (body[k] === undefined || body[k] === null) return;
    if (typeof body[k] !== 'number') throw invalid(k, `${k} must be a number`);
    options[to] = body[k];
  };
  num('temperature', 'temperature');
  num('top_p', 'top_p');
  num('seed', 'seed');
  num('frequency_penalty', 'frequency_penalty');
  num('presence_penalty', 'presence_penalty');
  num('max_tokens', 'num_predict');
  num('max_completion_tokens', 'num_predict');
  if (typeof body.stop === 'string') options.stop = [body.stop];
  else if (Array.isArray(body.stop)) options.stop = body.stop;
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw invalid('n', 'only n = 1 is supported');
  const rf = (body.response_format as Json | undefined)?.type;
  return rf === 'json_object' ? { options, format: 'json' } : { options };
}

const finishReason = (chunk: OllamaChunk) => (chunk.done_reason === 'length' ? 'length' : 'stop');

export function usageOf(chunk: OllamaChunk) {
  const prompt = chunk.prompt_eval_count ?? 0;
  const completion = chunk.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A whole `chat.completion` from Ollama's non-streamed answer. */
export function toCompletion(id: string, created: number, out: OllamaChunk) {
  return {
    id,
    object: 'chat.completion',
    created,
    model: out.model,
    system_fingerprint: 'fp_ollama',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: out.message?.content ?? '' },
        logprobs: null,
        finish_reason: finishReason(out),
      },
    ],
    usage: usageOf(out),
  };
}

/** One `chat.completion.chunk`; `delta` empty and `finish` set for the last one. */
export function toCompletionChunk(
  id: string,
  created: number,
  model: string,
  delta: Json,
  finish: string | null = null,
) {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_ollama',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

export const finishOf = finishReason;

/** A vector as OpenAI's `encoding_format: "base64"` writes it: little-endian float32 bytes. */
export function toBase64Vector(v: number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString('base64');
}
