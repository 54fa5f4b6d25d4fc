/** Sample texts shared by the summarization specs. */
export const ARTICLE = [
  'Solar power capacity grew faster than any other energy source last year, according to a new report.',
  'The report found that solar panels installed worldwide added more capacity than coal, gas and wind combined.',
  'Falling panel prices drove most of the growth in solar installations.',
  'Analysts said the price of solar panels fell by almost half in two years.',
  'Meanwhile, the city zoo welcomed a baby giraffe on Tuesday.',
  'Governments also expanded subsidies for rooftop solar power and batteries.',
  'Critics warn that grids need upgrades to absorb so much solar power at midday.',
].join(' ');

export const TRANSCRIPT = `Alice: Morning all, let's review the release plan.
Bob: The API freeze is on Friday and the docs are nearly done.
Alice: Are the load tests finished?
Carol: Load tests passed at 2,000 requests per second yesterday.
Bob: Great, then we can ship the release on Monday.
Alice: Agreed, ship Monday. Thanks everyone.`;

export const TYPESCRIPT = `import { Injectable } from '@nestjs/common';

/** Stores documents and answers searches over them. */
@Injectable()
export class DocumentIndex {
  private readonly docs = new Map<string, string>();

  /** Adds or replaces a document. Returns nothing. */
  upsert(id: string, text: string): void {
    this.docs.set(id, text);
  }

  search(query: string): string[] {
    return [...this.docs.keys()].filter((id) => this.docs.get(id)!.includes(query));
  }
}

// Hashes a string to a 32-bit number.
function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

export const VERSION = '1.0';
`;

export const PYTHON = `import math

class Circle:
    """A circle in the plane. Knows its area."""

    def __init__(self, r):
        self.r = r

    def area(self):
        """Area of the circle."""
        return math.pi * self.r ** 2

def _helper():
    return 1
`;

export const MARKDOWN = `# Fennec RAG

Fennec stores documents and searches them with **BM25** and vectors.
See [the docs](https://example.com) for details.

## Install

Run \`npm install\` and start the server.

\`\`\`bash
npm install
npm start
\`\`\`

| option | default |
|--------|---------|
| topK   | 5       |
`;

export const LIST = `- Buy milk and eggs for the weekend
- Call the plumber about the kitchen sink
- Renew the car insurance before March
- Book flights for the summer holiday
- Buy a birthday present for Sam`;
