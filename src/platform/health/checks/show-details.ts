import type { Caller } from '../../context/caller';
import type { HealthConfig } from '../health.config';

/**
 * Whether a caller sees per-check details and errors: with HEALTH_SHOW_DETAILS=authorized (the
 * default) only an authenticated caller with a role does; anonymous callers get statuses only.
 */
export function showDetails(config: Pick<HealthConfig, 'showDetails'>, caller: Caller | undefined): boolean {
  switch (config.showDetails) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'authorized':
      return caller !== undefined && caller.roles.length > 0;
  }
}
