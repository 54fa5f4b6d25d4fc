import type { FennecError } from '../errors/fennec-error';

/** One failed attempt: the error to show, and whether the request may have reached the instance. */
export class AttemptFailure extends Error {
  constructor(
    readonly error: FennecError,
    readonly sent: boolean,
  ) {
    super(error.message);
  }
}
