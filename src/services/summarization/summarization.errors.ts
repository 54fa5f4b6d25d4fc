import { FennecError } from '../../platform/errors';

/** The text is longer than SUMMARY_MAX_TEXT_CHARS. */
export class SummaryTextTooLargeError extends FennecError {
  readonly code = 'SUMMARY.TEXT_TOO_LARGE';
  readonly kind = 'too_large';
}

/** More documents in a batch than SUMMARY_BATCH_MAX_DOCUMENTS. */
export class SummaryBatchTooLargeError extends FennecError {
  readonly code = 'SUMMARY.BATCH_TOO_LARGE';
  readonly kind = 'too_large';
}
