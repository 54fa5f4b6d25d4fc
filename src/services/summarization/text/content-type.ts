/** Kinds of text the summarizer tells apart; each gets its own extractive strategy. */
export const CONTENT_TYPES = ['prose', 'conversation', 'code', 'markdown', 'list'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export interface ContentDetection {
  type: ContentType;
  /** 0..1: how clearly the text is of this type rather than the runner-up. */
  confidence: number;
  /** Per-type scores, for diagnostics. */
  scores: Record<ContentType, number>;
}
