import { ErrorDialects } from './error-dialects';

describe(ErrorDialects.name, () => {
  it('should find the first registered dialect matching a path, and none elsewhere', () => {
    const dialects = new ErrorDialects();
    const ollama = { matches: (p: string) => p.startsWith('/ollama/'), body: () => ({ error: 'x' }) };
    const any = { matches: () => true, body: () => ({}) };
    dialects.register(ollama);
    expect(dialects.forPath('/ollama/api/chat')).toBe(ollama);
    expect(dialects.forPath('/v1/summaries')).toBeUndefined();
    dialects.register(any);
    expect(dialects.forPath('/ollama/api/chat')).toBe(ollama);
    expect(dialects.forPath('/v1/summaries')).toBe(any);
  });
});
