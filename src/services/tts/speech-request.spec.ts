import { RequestValidationError } from '../../platform/errors';
import { parseSpeechRequest } from './speech-request';

describe(parseSpeechRequest.name, () => {
  const ok = { model: 'tts-1', input: 'Hello.', voice: 'alloy' };

  it('should read an OpenAI body, defaulting speed and leaving the format to the server', () => {
    expect(parseSpeechRequest({ ...ok, instructions: 'ignored' }, 100)).toEqual({
      ...ok,
      speed: 1,
      format: undefined,
      streamFormat: 'audio',
    });
    expect(parseSpeechRequest({ ...ok, response_format: 'flac', speed: 0.25 }, 100)).toMatchObject({
      format: 'flac',
      speed: 0.25,
    });
  });

  it("should take OpenAI's custom voice reference and server-sent events for models other than tts-1", () => {
    expect(
      parseSpeechRequest({ ...ok, model: 'gpt-4o-mini-tts', voice: { id: 'en-gb' }, stream_format: 'sse' }, 100),
    ).toMatchObject({ voice: 'en-gb', streamFormat: 'sse' });
  });

  it.each([
    ['a body that is not an object', [1, 2], undefined],
    ['a missing model', { input: 'x', voice: 'alloy' }, 'model'],
    ['a blank input', { ...ok, input: '  ' }, 'input'],
    ['an input over the limit', { ...ok, input: 'x'.repeat(101) }, 'input'],
    ['a voice that is not a string', { ...ok, voice: 3 }, 'voice'],
    ['an unknown format', { ...ok, response_format: 'ogg' }, 'response_format'],
    ['a speed below 0.25', { ...ok, speed: 0.2 }, 'speed'],
    ['a speed that is a string', { ...ok, speed: '1' }, 'speed'],
    ['a voice object without an id', { ...ok, voice: { name: 'x' } }, 'voice'],
    ['server-sent events for tts-1, as OpenAI refuses them', { ...ok, stream_format: 'sse' }, 'stream_format'],
    ['server-sent events for tts-1-hd', { ...ok, model: 'tts-1-hd', stream_format: 'sse' }, 'stream_format'],
    ['an unknown stream format', { ...ok, model: 'espeak', stream_format: 'chunked' }, 'stream_format'],
  ])('should refuse %s, naming the field', (_what, body, field) => {
    let err: unknown;
    try {
      parseSpeechRequest(body, 100);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestValidationError);
    expect((err as RequestValidationError).fieldErrors?.[0]?.field).toBe(field);
  });
});
