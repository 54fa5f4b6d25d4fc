import { parseOllamaUrls } from './ollama-urls';

describe(parseOllamaUrls.name, () => {
  it('should read urls with optional weights', () => {
    expect(parseOllamaUrls(' http://gpu-a:11434|3 , http://gpu-b:11434/ ')).toEqual([
      { url: 'http://gpu-a:11434', weight: 3 },
      { url: 'http://gpu-b:11434', weight: 1 },
    ]);
  });

  it('should refuse bad entries, naming them', () => {
    expect(() => parseOllamaUrls('gpu-a:11434')).toThrow(/must be http/);
    expect(() => parseOllamaUrls('not a url')).toThrow(/"not a url" is not a URL/);
    expect(() => parseOllamaUrls('http://a:1|0')).toThrow(/weight/);
    expect(() => parseOllamaUrls('http://a:1|2|3')).toThrow(/url\|weight/);
    expect(() => parseOllamaUrls('http://a:1,http://a:1/')).toThrow(/twice/);
  });
});
