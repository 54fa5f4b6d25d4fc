import { isModelName, normalizeModelName } from './model-name';

describe('model names', () => {
  it('should accept names as Ollama writes them', () => {
    for (const name of [
      'llama3.2:3b',
      'nomic-embed-text:latest',
      'nomic-embed-text',
      'org/model:tag',
      'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M',
      'qwen2.5-coder:7b-instruct-q4_K_M',
    ]) {
      expect(isModelName(name)).toBe(true);
    }
  });

  it('should refuse names that are not model names', () => {
    for (const name of ['', ':3b', 'llama:', 'a b', '../etc/passwd', 'model:tag:more', '/abs', 'x'.repeat(257), 42]) {
      expect(isModelName(name)).toBe(false);
    }
  });

  it('should add the latest tag only when the last segment has no tag', () => {
    expect(normalizeModelName('llama3.2')).toBe('llama3.2:latest');
    expect(normalizeModelName('llama3.2:3b')).toBe('llama3.2:3b');
    expect(normalizeModelName('org/model')).toBe('org/model:latest');
  });
});
