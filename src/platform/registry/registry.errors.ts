import { FennecError } from '../errors/fennec-error';

/** A `@ManagedService` name is not kebab-case. Refuses boot. */
export class InvalidServiceNameError extends FennecError {
  readonly code = 'REGISTRY.INVALID_NAME';
  readonly kind = 'internal';
}

/** Two providers declare the same service name. Refuses boot, naming both classes. */
export class DuplicateServiceError extends FennecError {
  readonly code = 'REGISTRY.DUPLICATE_SERVICE';
  readonly kind = 'internal';
}

/** A service requires a service nobody declares. Refuses boot, naming both. */
export class UnknownDependencyError extends FennecError {
  readonly code = 'REGISTRY.UNKNOWN_DEPENDENCY';
  readonly kind = 'internal';
}

/** The dependency graph has a cycle; the message prints it (`a → b → a`). Refuses boot. */
export class DependencyCycleError extends FennecError {
  readonly code = 'REGISTRY.DEPENDENCY_CYCLE';
  readonly kind = 'internal';
}

/** A critical service failed or timed out at boot; what had started was rolled back. */
export class RegistryBootError extends FennecError {
  readonly code = 'REGISTRY.BOOT_FAILED';
  readonly kind = 'internal';
}

/** A start or stop hook did not settle within its timeout and was abandoned. */
export class LifecycleTimeoutError extends FennecError {
  readonly code = 'REGISTRY.LIFECYCLE_TIMEOUT';
  readonly kind = 'timeout';
}

/** A runtime `start`/`restart` command left one or more services not running. */
export class ServiceStartFailedError extends FennecError {
  readonly code = 'REGISTRY.START_FAILED';
  readonly kind = 'unavailable';
}

/** A runtime `stop` command: one or more `stop()` hooks failed or timed out (those services are FAILED). */
export class ServiceStopFailedError extends FennecError {
  readonly code = 'REGISTRY.STOP_FAILED';
  readonly kind = 'unavailable';
}

/** No managed service has that name. */
export class ServiceNotFoundError extends FennecError {
  readonly code = 'REGISTRY.SERVICE_NOT_FOUND';
  readonly kind = 'not_found';
  constructor(readonly service: string) {
    super(`No managed service is named '${service}'`);
  }
}

/** A route guarded by `@ServiceRoute(name)` was called while that service is not RUNNING or DEGRADED. */
export class ServiceUnavailableError extends FennecError {
  readonly code = 'REGISTRY.SERVICE_UNAVAILABLE';
  readonly kind = 'unavailable';
}

/** A `@ServiceRoute(name)` names a service nobody declares (its routes would answer 503 forever). Refuses boot. */
export class UnknownServiceRouteError extends FennecError {
  readonly code = 'REGISTRY.UNKNOWN_SERVICE_ROUTE';
  readonly kind = 'internal';
}
