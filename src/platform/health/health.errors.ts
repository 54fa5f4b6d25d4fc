import { FennecError } from '../errors/fennec-error';

/** No automation rule has that name. */
export class AutomationRuleNotFoundError extends FennecError {
  readonly code = 'HEALTH.RULE_NOT_FOUND';
  readonly kind = 'not_found';
  constructor(readonly rule: string) {
    super(`No automation rule is named '${rule}'`);
  }
}
