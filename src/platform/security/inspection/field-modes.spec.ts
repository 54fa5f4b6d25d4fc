import { modeForField } from './field-modes';

describe('modeForField', () => {
  const options = {
    fields: {
      'body.prompt': 'flag' as const,
      'body.messages.*.content': 'flag' as const,
      'body.messages.0': 'off' as const,
    },
  };

  it('should use the longest matching rule, with * for one segment and prefixes covering children', () => {
    expect(modeForField('body.prompt', options, 'block')).toBe('flag');
    expect(modeForField('body.prompt.extra', options, 'block')).toBe('flag');
    expect(modeForField('body.messages.3.content', options, 'block')).toBe('flag');
    expect(modeForField('body.messages.0.content', options, 'block')).toBe('flag');
    expect(modeForField('body.messages.0.role', options, 'block')).toBe('off');
    expect(modeForField('body.name', options, 'block')).toBe('block');
  });

  it('should fall back to the route mode, then the configured default', () => {
    expect(modeForField('query.q', { mode: 'flag' }, 'block')).toBe('flag');
    expect(modeForField('query.q', undefined, 'off')).toBe('off');
  });
});
