import { FennecError } from '../../platform/errors';

export class RagDocumentNotFoundError extends FennecError {
  readonly code = 'RAG.DOCUMENT_NOT_FOUND';
  readonly kind = 'not_found';
  constructor(id: string) {
    super(`No document '${id}'`);
  }
}

/** The document is longer than RAG_MAX_DOCUMENT_CHARS. */
export class RagDocumentTooLargeError extends FennecError {
  readonly code = 'RAG.DOCUMENT_TOO_LARGE';
  readonly kind = 'too_large';
}

/** The document has no indexable text (e.g. only whitespace and markup). */
export class RagDocumentEmptyError extends FennecError {
  readonly code = 'RAG.DOCUMENT_EMPTY';
  readonly kind = 'invalid';
}
