import { parseEspeakVoices } from './backends/espeak-backend';
import { pairsProblem, parsePairs } from './tts-map';

describe(parsePairs.name, () => {
  it('should read key=value pairs, ignoring spaces and empty entries', () => {
    expect(parsePairs(' alloy = en-us ,, echo=en-gb+f3 ', 'X')).toEqual({ alloy: 'en-us', echo: 'en-gb+f3' });
  });

  it('should name a malformed or repeated entry', () => {
    expect(pairsProblem('alloy', 'X')).toBe('X entry "alloy" must be key=value');
    expect(pairsProblem('a=b,a=c', 'X')).toBe('X names a twice');
    expect(pairsProblem(3, 'X')).toBe('X must be a string');
    expect(pairsProblem('a=b', 'X')).toBeUndefined();
  });
});

describe(parseEspeakVoices.name, () => {
  it("should read espeak-ng's voice listing", () => {
    const listing = [
      'Pty Language       Age/Gender VoiceName          File                 Other Languages',
      ' 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)',
      ' 5  fr-fr           --/M      French             roa/fr               (fr 5)',
      '',
    ].join('\n');
    expect(parseEspeakVoices(listing)).toEqual([
      { id: 'en-us', language: 'en-us', name: 'English_(America)' },
      { id: 'fr-fr', language: 'fr-fr', name: 'French' },
    ]);
  });
});
