import type { SseMessage } from '../../platform/streaming';
import type { LlmClient } from '../llm';
import type { SearchHitDto } from './dto/search.dto';

/** The part of the LLM client an answer needs. */
export type StreamingLlm = Required<Pick<LlmClient, 'chatStream'>>;

/** How a passage is named in the prompt and in citations: `[documentId:chunkIndex]`. */
export const passageLabel = (h: Pick<SearchHitDto, 'documentId' | 'chunkIndex'>) => `${h.documentId}:${h.chunkIndex}`;

const SYSTEM_PROMPT =
  'Answer the question using only the passages below. After every statement, cite the passage it comes from ' +
  'with its label in square brackets, exactly as given, for example [doc-1:0]. If the passages do not contain ' +
  'the answer, say that you do not know. Do not use outside knowledge.';

export function answerMessages(query: string, passages: SearchHitDto[]) {
  const context = passages.map((p) => `[${passageLabel(p)}]${p.title ? ` (${p.title})` : ''}\n${p.text}`).join('\n\n');
  return [
    { role: 'system' as const, content: SYSTEM_PROMPT },
    { role: 'user' as const, content: `Passages:\n\n${context}\n\nQuestion: ${query}` },
  ];
}

/** Labels cited in `answer` that name one of the passages, in order of first use. */
export function citationsIn(answer: string, passages: SearchHitDto[]): string[] {
  const known = new Set(passages.map(passageLabel));
  const found: string[] = [];
  for (const m of answer.matchAll(/\[([^[\]\s]+:\d+)\]/g))
    if (known.has(m[1]) && !found.includes(m[1])) found.push(m[1]);
  return found;
}

/**
 * The SSE events of one answer: `passages` (what the LLM is given), `token` per piece of the
 * answer, then `citations` (labels the answer cites that name a given passage). The toolkit
 * adds the terminal `done` (with the model and token counts, see {@link AnswerDone}).
 */
export async function* answerEvents(
  llm: StreamingLlm,
  query: string,
  passages: SearchHitDto[],
  signal: AbortSignal,
  done: AnswerDone,
  model?: string,
): AsyncGenerator<SseMessage> {
  yield { event: 'passages', data: { passages } };
  if (passages.length === 0) {
    done.reason = 'no_passages';
    return;
  }
  let answer = '';
  for await (const ev of llm.chatStream({
    messages: answerMessages(query, passages),
    model,
    options: { temperature: 0.1 },
    signal,
  })) {
    if (ev.type === 'token') {
      answer += ev.text;
      yield { event: 'token', data: { text: ev.text } };
    } else {
      Object.assign(done, { model: ev.model, promptTokens: ev.promptTokens, completionTokens: ev.completionTokens });
    }
  }
  done.citations = citationsIn(answer, passages);
  done.reason = 'answered';
}

/** Data of the terminal `done` event, filled in as the answer streams. */
export interface AnswerDone {
  reason: 'answered' | 'no_passages' | 'pending';
  citations: string[];
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
}
