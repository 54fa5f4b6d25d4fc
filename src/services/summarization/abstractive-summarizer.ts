import type { LlmClient } from '../llm';
import type { ContentType } from './text/content-type';
import { summariseExtractive } from './text/extractive-summarizer';

const WHAT: Record<ContentType, string> = {
  prose: 'text',
  conversation: 'conversation transcript; say who decided or asked what',
  code: 'source code; say what it does and name its main parts',
  markdown: 'technical document',
  list: 'list; keep the most important items',
};

const SYSTEM_PROMPT =
  'You are a careful summariser. Summarise faithfully and do not add facts that are not in the input. ' +
  'Answer with the summary only, without a preamble.';

export interface AbstractiveRequest {
  text: string;
  type: ContentType;
  sentences: number;
  model?: string;
  /** Longer input is first cut down extractively to this many characters. */
  maxInputChars: number;
  signal?: AbortSignal;
}

/** Input that fits the model's budget: the text itself, or its best sentences in source order. */
function fitInput(text: string, type: ContentType, maxChars: number, totalUnits: number): string {
  if (text.length <= maxChars) return text;
  const keep = Math.max(1, Math.floor((totalUnits * maxChars) / text.length));
  const reduced = summariseExtractive(text, type, { maxSentences: keep }).summary;
  return reduced.slice(0, maxChars);
}

/** Asks the LLM gateway for a summary of at most `sentences` sentences. */
export async function summariseAbstractive(llm: LlmClient, req: AbstractiveRequest, totalUnits: number) {
  const input = fitInput(req.text, req.type, req.maxInputChars, totalUnits);
  const answer = await llm.chat({
    model: req.model,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      {
        role: 'user',
        content: `Summarise the following ${WHAT[req.type]} in at most ${req.sentences} sentences.\n\n---\n${input}\n---`,
      },
    ],
    options: { temperature: 0.2, num_predict: Math.min(1024, 80 * req.sentences) },
    signal: req.signal,
  });
  return { summary: answer.content.trim(), model: answer.model, reducedInput: input.length < req.text.length };
}
