import type { LlmChatStreamEvent } from '../llm';
import type { SearchHitDto } from './dto/search.dto';
import { type AnswerDone, answerEvents, answerMessages, citationsIn, type StreamingLlm } from './rag-answer';

const passage = (documentId: string, chunkIndex: number, text: string): SearchHitDto => ({
  documentId,
  chunkIndex,
  text,
  score: 1,
  start: 0,
  end: text.length,
  headingPath: [],
  metadata: {},
});
const PASSAGES = [passage('handbook', 1, 'Employees get 25 days of leave.'), passage('faq', 0, 'Leave carries over.')];

describe(citationsIn.name, () => {
  it('should keep only labels of given passages, in order of first use, once each', () => {
    expect(
      citationsIn('25 days [handbook:1]. Carries over [faq:0][handbook:1]. Made up [x:3] [faq:zero].', PASSAGES),
    ).toEqual(['handbook:1', 'faq:0']);
  });
});

describe(answerMessages.name, () => {
  it('should label every passage and end with the question', () => {
    const [system, user] = answerMessages('How much leave?', PASSAGES);
    expect(system.content).toContain('cite');
    expect(user.content).toContain('[handbook:1]\nEmployees get 25 days of leave.');
    expect(user.content).toContain('[faq:0]\nLeave carries over.');
    expect(user.content.endsWith('Question: How much leave?')).toBe(true);
  });
});

describe(answerEvents.name, () => {
  const llm = (events: LlmChatStreamEvent[]): StreamingLlm => ({
    async *chatStream() {
      yield* events;
    },
  });

  it('should stream passages, tokens and fill done with citations and counts', async () => {
    const done: AnswerDone = { reason: 'pending', citations: [] };
    const client = llm([
      { type: 'token', text: '25 days ' },
      { type: 'token', text: '[handbook:1].' },
      { type: 'done', model: 'm', promptTokens: 10, completionTokens: 2 },
    ]);
    const events = [];
    for await (const e of answerEvents(client, 'q', PASSAGES, new AbortController().signal, done)) events.push(e.event);
    expect(events).toEqual(['passages', 'token', 'token']);
    expect(done).toEqual({
      reason: 'answered',
      citations: ['handbook:1'],
      model: 'm',
      promptTokens: 10,
      completionTokens: 2,
    });
  });

  it('should not call the LLM without passages', async () => {
    const done: AnswerDone = { reason: 'pending', citations: [] };
    const client = llm([]);
    const spy = jest.spyOn(client, 'chatStream');
    const events = [];
    for await (const e of answerEvents(client, 'q', [], new AbortController().signal, done)) events.push(e);
    expect(events).toEqual([{ event: 'passages', data: { passages: [] } }]);
    expect(done.reason).toBe('no_passages');
    expect(spy).not.toHaveBeenCalled();
  });
});
