import { type LlmClient, LlmUnavailableError } from '../llm';

/**
 * The LLM gateway as RAG uses it: embeddings in batches of `RAG_EMBED_BATCH`, with the configured
 * model, remembering the model name the gateway reports (its default when RAG_EMBED_MODEL is unset).
 */
export class RagEmbedder {
  private reportedModel?: string;

  constructor(
    private readonly llm: LlmClient | undefined,
    private readonly options: { model?: string; batch: number },
  ) {}

  /** An LLM module is part of the app (it may still be down). */
  get configured(): boolean {
    return this.llm !== undefined;
  }

  available(): boolean {
    return this.llm?.isAvailable() ?? false;
  }

  /**
   * The model documents should be embedded with: the name the gateway last reported (what is
   * stored on documents), else RAG_EMBED_MODEL; undefined until known when that is unset.
   */
  targetModel(): string | undefined {
    return this.reportedModel ?? this.options.model;
  }

  /** One vector per text, in order. Rejects with the gateway's error (LLM.UNAVAILABLE, …). */
  async embed(texts: string[], signal?: AbortSignal): Promise<{ vectors: number[][]; model: string }> {
    if (!this.llm) throw new LlmUnavailableError('No LLM gateway is configured');
    const vectors: number[][] = [];
    let model = this.options.model ?? '';
    for (let i = 0; i < texts.length; i += this.options.batch) {
      const out = await this.llm.embed({
        input: texts.slice(i, i + this.options.batch),
        model: this.options.model,
        signal,
      });
      vectors.push(...out.embeddings);
      model = this.remember(out.model);
    }
    return { vectors, model };
  }

  async embedQuery(query: string): Promise<number[]> {
    const [vector] = (await this.embed([query])).vectors;
    return vector;
  }

  private remember(model: string): string {
    this.reportedModel = model;
    return model;
  }
}
