import { RequestValidationError } from '../../platform/errors';
import { LlmRequestPolicy } from './llm-request-policy';
import type { LlmConfig } from './llm.config';
import { LlmModelNotAllowedError, LlmPromptTooLargeError } from './llm.errors';

const config = {
  defaultChatModel: 'llama3.2:3b',
  defaultEmbedModel: 'nomic-embed-text:latest',
  maxMessages: 3,
  maxPromptChars: 20,
} as LlmConfig;

describe(LlmRequestPolicy.name, () => {
  let allowed: string[];
  const policy = new LlmRequestPolicy(config, () => allowed);
  beforeEach(() => (allowed = []));

  it('should use the default model of the kind when none is given', () => {
    expect(policy.model(undefined, 'chat')).toBe('llama3.2:3b');
    expect(policy.model('', 'embed')).toBe('nomic-embed-text:latest');
    expect(policy.model('org/model:tag', 'chat')).toBe('org/model:tag');
  });

  it('should allow any model without an allow-list, and only listed ones (untagged meaning :latest) with one', () => {
    expect(policy.restrictsModels()).toBe(false);
    expect(policy.allows('anything:7b')).toBe(true);
    allowed = ['llama3.2:3b', 'nomic-embed-text'];
    expect(policy.restrictsModels()).toBe(true);
    expect(policy.allows('llama3.2:3b')).toBe(true);
    expect(policy.allows('nomic-embed-text:latest')).toBe(true);
    expect(policy.allows('llama3.2:1b')).toBe(false);
  });

  it('should refuse malformed names naming the field', () => {
    expect(() => policy.model('bad name', 'chat', 'name')).toThrow(RequestValidationError);
    try {
      policy.model(42, 'chat');
    } catch (err) {
      expect((err as RequestValidationError).fieldErrors).toEqual([{ field: 'model', message: expect.any(String) }]);
    }
  });

  it('should apply the allow-list with :latest for untagged names', () => {
    allowed = ['nomic-embed-text', 'llama3.2:3b'];
    expect(policy.model('nomic-embed-text:latest', 'embed')).toBe('nomic-embed-text:latest');
    expect(policy.model(undefined, 'chat')).toBe('llama3.2:3b');
    expect(() => policy.model('llama3.2:1b', 'chat')).toThrow(LlmModelNotAllowedError);
  });

  it('should bound messages by count, role and prompt size (text parts included)', () => {
    expect(() => policy.messages([{ role: 'user', content: 'hi' }])).not.toThrow();
    expect(() => policy.messages([])).toThrow(RequestValidationError);
    expect(() => policy.messages(Array(4).fill({ role: 'user', content: 'x' }))).toThrow(/limit is 3/);
    expect(() => policy.messages([{ role: 'root', content: 'x' }])).toThrow(/role/);
    expect(() => policy.messages([{ role: 'user', content: 5 }])).toThrow(/content must be a string/);
    expect(() => policy.messages([{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(21) }] }])).toThrow(
      LlmPromptTooLargeError,
    );
  });

  it('should bound prompts with their system text, and embedding input', () => {
    expect(() => policy.prompt('x'.repeat(10), 'y'.repeat(10))).not.toThrow();
    expect(() => policy.prompt('x'.repeat(10), 'y'.repeat(11))).toThrow(LlmPromptTooLargeError);
    expect(policy.embedInput('one')).toEqual(['one']);
    expect(() => policy.embedInput([])).toThrow(RequestValidationError);
    expect(() => policy.embedInput(['a', 1])).toThrow(RequestValidationError);
    expect(() => policy.embedInput(['a', 'b', 'c', 'd'])).toThrow(/limit is 3/);
  });
});
