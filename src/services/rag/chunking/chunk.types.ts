/** A piece of a document, as indexed and returned by search. `text === source.slice(start, end)`. */
export interface Chunk {
  index: number;
  text: string;
  start: number;
  end: number;
  /** Titles of the enclosing headings, outermost first (empty before the first heading). */
  headingPath: string[];
}

export interface ChunkingOptions {
  /** Chunks are packed up to about this many characters. */
  targetChars: number;
  /** Characters of the previous chunk repeated at the start of the next one in the same section. */
  overlapChars: number;
}
