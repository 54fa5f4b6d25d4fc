import type { SseMessage } from '../../platform/streaming';
import { FennecError } from '../../platform/errors';
import type { BatchDocumentDto } from './dto/summarize-batch-request.dto';
import type { SummaryOptionsDto } from './dto/summary-options.dto';
import type { SummaryDto } from './dto/summary-response.dto';

/** Data of one `progress` event: a document finished, with its summary or why it failed. */
export interface BatchProgress {
  index: number;
  id?: string;
  completed: number;
  total: number;
  status: 'ok' | 'failed';
  result?: SummaryDto;
  error?: { code: string; detail: string };
}

/** Data of the terminal `done` event. */
export interface BatchDone {
  total: number;
  succeeded: number;
  failed: number;
}

type Summarize = (text: string, options: SummaryOptionsDto, signal: AbortSignal) => Promise<SummaryDto>;

/**
 * Summarises documents one after another, yielding a `progress` event per document; a document
 * that fails is reported and the batch goes on. Stops as soon as `signal` fires (client gone).
 */
export async function* summariseBatch(
  documents: BatchDocumentDto[],
  options: SummaryOptionsDto,
  summarize: Summarize,
  signal: AbortSignal,
  tally: BatchDone,
): AsyncGenerator<SseMessage<BatchProgress>> {
  for (const [index, doc] of documents.entries()) {
    if (signal.aborted) return;
    const base = { index, id: doc.id, completed: index + 1, total: documents.length };
    try {
      const result = await summarize(doc.text, options, signal);
      tally.succeeded++;
      yield { event: 'progress', data: { ...base, status: 'ok', result } };
    } catch (err) {
      if (signal.aborted) return;
      tally.failed++;
      const error =
        err instanceof FennecError && err.kind !== 'internal'
          ? { code: err.code, detail: err.message }
          : { code: 'INTERNAL.ERROR', detail: 'This document could not be summarised' };
      yield { event: 'progress', data: { ...base, status: 'failed', error } };
    }
  }
}
