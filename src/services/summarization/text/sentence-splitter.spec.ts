import { splitSentences } from './sentence-splitter';

const texts = (s: string) => splitSentences(s).map((x) => x.text);

describe(splitSentences.name, () => {
  it('should split plain sentences ending in . ! and ?', () => {
    expect(texts('It rained. Did it stop? No! It went on.')).toEqual([
      'It rained.',
      'Did it stop?',
      'No!',
      'It went on.',
    ]);
  });

  it('should not split after titles and Latin abbreviations', () => {
    expect(
      texts('Dr. Smith met Mrs. Jones at St. Mary’s. They talked, e.g. about cats, i.e. pets. Then vs. now.'),
    ).toEqual(['Dr. Smith met Mrs. Jones at St. Mary’s.', 'They talked, e.g. about cats, i.e. pets.', 'Then vs. now.']);
  });

  it('should keep U.S. inside a sentence but end on it before a sentence opener', () => {
    expect(texts('The U.S. Army moved in. He lived in the U.S. The move was hard.')).toEqual([
      'The U.S. Army moved in.',
      'He lived in the U.S.',
      'The move was hard.',
    ]);
  });

  it('should not split decimals, versions, urls or initials', () => {
    expect(texts('Pi is 3.14 roughly. Node 20.19.1 is out at nodejs.org today. J. R. R. Tolkien wrote it.')).toEqual([
      'Pi is 3.14 roughly.',
      'Node 20.19.1 is out at nodejs.org today.',
      'J. R. R. Tolkien wrote it.',
    ]);
  });

  it('should end after closing quotes and brackets, not inside a quoted exclamation', () => {
    expect(texts('He said "Stop." Then he left. "Go!" she shouted. (It was late.) Nobody moved.')).toEqual([
      'He said "Stop."',
      'Then he left.',
      '"Go!" she shouted.',
      '(It was late.)',
      'Nobody moved.',
    ]);
  });

  it('should treat an ellipsis as an end only before a new sentence', () => {
    expect(texts('I waited... and waited. Then… Nothing happened.')).toEqual([
      'I waited... and waited.',
      'Then…',
      'Nothing happened.',
    ]);
  });

  it('should break at blank lines and bullet lines even without punctuation', () => {
    expect(texts('A heading line\n\nFirst para here.\n- item one\n- item two\n1. numbered')).toEqual([
      'A heading line',
      'First para here.',
      '- item one',
      '- item two',
      '1. numbered',
    ]);
  });

  it('should keep offsets that point back into the source', () => {
    const source = '  Dr. Who arrived.\n\n  "Hello," he said.  Bye. ';
    for (const s of splitSentences(source)) expect(source.slice(s.start, s.end)).toBe(s.text);
    expect(splitSentences(source)).toHaveLength(3);
  });

  it('should return nothing for blank input', () => {
    expect(splitSentences('  \n\n ')).toEqual([]);
  });
});
