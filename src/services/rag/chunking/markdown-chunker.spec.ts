import { chunkDocument } from './markdown-chunker';

const para = (word: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${word} sentence number ${i + 1} is here.`).join(' ');

describe(chunkDocument.name, () => {
  const doc = [
    '# Guide',
    '',
    'Intro paragraph about the guide.',
    '',
    '## Install',
    '',
    para('Install', 12),
    '',
    '```bash',
    'npm install',
    '',
    'npm start',
    '```',
    '',
    '### Linux',
    '',
    'Linux specific notes.',
    '',
    '## Usage',
    '',
    'Use it well.',
  ].join('\n');

  const chunks = chunkDocument(doc, { targetChars: 200, overlapChars: 40 });

  it('should keep offsets that point back into the source', () => {
    for (const c of chunks) expect(doc.slice(c.start, c.end)).toBe(c.text);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
  });

  it('should never cross a heading and should record the heading path', () => {
    expect(chunks[0]).toMatchObject({ headingPath: ['Guide'], text: '# Guide\n\nIntro paragraph about the guide.' });
    const linux = chunks.find((c) => c.text.includes('Linux specific'))!;
    expect(linux.headingPath).toEqual(['Guide', 'Install', 'Linux']);
    expect(linux.text.startsWith('### Linux')).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ headingPath: ['Guide', 'Usage'], text: '## Usage\n\nUse it well.' });
    for (const c of chunks)
      expect(
        c.text
          .split('\n')
          .slice(1)
          .some((l) => /^#{1,6} /.test(l)),
      ).toBe(false);
  });

  it('should keep chunks near the target size and overlap consecutive chunks of a section', () => {
    const install = chunks.filter((c) => c.headingPath.join('/') === 'Guide/Install');
    expect(install.length).toBeGreaterThan(2);
    for (const c of install) expect(c.text.length).toBeLessThanOrEqual(200);
    for (let i = 1; i < install.length; i++) {
      expect(install[i].start).toBeLessThan(install[i - 1].end);
      expect(install[i].start).toBeGreaterThan(install[i - 1].start);
    }
  });

  it('should keep a fenced code block whole, blank lines included', () => {
    expect(chunks.some((c) => c.text.includes('```bash\nnpm install\n\nnpm start\n```'))).toBe(true);
  });

  it('should chunk plain text by paragraphs with an empty heading path', () => {
    const text = `${para('Alpha', 3)}\n\n${para('Beta', 3)}\n\n${para('Gamma', 3)}`;
    const out = chunkDocument(text, { targetChars: 250, overlapChars: 0 });
    expect(out.every((c) => c.headingPath.length === 0)).toBe(true);
    expect(out[0].text.startsWith('Alpha')).toBe(true);
    expect(out.map((c) => c.text).join('\n\n')).toBe(text);
  });

  it('should hard-split a block with no sentence ends', () => {
    const text = 'word '.repeat(200).trim();
    const out = chunkDocument(text, { targetChars: 100, overlapChars: 0 });
    expect(out.length).toBeGreaterThanOrEqual(10);
    for (const c of out) expect(c.text.length).toBeLessThanOrEqual(100);
    expect(out.map((c) => c.text).join(' ')).toBe(text);
  });

  it('should give nothing for blank text', () => {
    expect(chunkDocument('  \n\n  ', { targetChars: 100, overlapChars: 10 })).toEqual([]);
  });
});
