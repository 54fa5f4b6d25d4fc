import { FennecError, type FennecErrorOptions } from '../errors/fennec-error';

/** `If-Match` named a version that is no longer current. */
export class ConfigVersionConflictError extends FennecError {
  readonly code = 'CONFIG.VERSION_CONFLICT';
  readonly kind = 'conflict';
  constructor(
    readonly currentVersion: number,
    message = `Configuration changed meanwhile; the current version is ${currentVersion}`,
    options?: FennecErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The shared store lost its data (Redis restarted empty) and the instances are putting back the
 * versions they hold; a write now could reuse a version another instance already acknowledged.
 */
export class ConfigStoreRecoveringError extends FennecError {
  readonly code = 'CONFIG.STORE_RECOVERING';
  readonly kind = 'unavailable';
}

/** No managed service with runtime configuration has this name. */
export class ConfigServiceNotFoundError extends FennecError {
  readonly code = 'CONFIG.SERVICE_NOT_FOUND';
  readonly kind = 'not_found';
}

/** The version to roll back to does not exist or has left the bounded history. */
export class ConfigVersionNotFoundError extends FennecError {
  readonly code = 'CONFIG.VERSION_NOT_FOUND';
  readonly kind = 'not_found';
}

/**
 * A stored secret field is sealed and no configured key opens it (key missing or retired, value
 * altered or moved). Internal: the API answers a generic 500; the message (logged, and the boot
 * failure) names the service, version, field and key id, never the value.
 */
export class ConfigSecretUnreadableError extends FennecError {
  readonly code = 'CONFIG.SECRET_UNREADABLE';
  readonly kind = 'internal';
}
