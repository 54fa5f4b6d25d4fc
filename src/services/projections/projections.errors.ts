import { FennecError } from '../../platform/errors';

export class ProjectionNotFoundError extends FennecError {
  readonly code = 'PROJECTIONS.NOT_FOUND';
  readonly kind = 'not_found';
  constructor(id: string) {
    super(`No projection '${id}'`);
  }
}

/** A request the method cannot run: sample over the cap, parameters of another method. */
export class ProjectionRequestError extends FennecError {
  readonly code = 'PROJECTIONS.INVALID_REQUEST';
  readonly kind = 'invalid';
}

/** Fewer embedded chunks match than a projection needs. */
export class ProjectionTooFewPointsError extends FennecError {
  readonly code = 'PROJECTIONS.TOO_FEW_POINTS';
  readonly kind = 'invalid';
}

/** The projection has no result yet (queued, running, failed or cancelled): no plot. */
export class ProjectionNotReadyError extends FennecError {
  readonly code = 'PROJECTIONS.NOT_READY';
  readonly kind = 'conflict';
}
