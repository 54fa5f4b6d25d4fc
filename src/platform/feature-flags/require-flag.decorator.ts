import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { FeatureFlagGuard, REQUIRED_FLAG_KEY } from './feature-flag.guard';

/**
 * The route (or every route of the controller) exists only while `flag` is on for the caller;
 * otherwise it answers 404 ROUTE.NOT_FOUND exactly as an absent route would.
 */
export const RequireFlag = (flag: string) =>
  applyDecorators(SetMetadata(REQUIRED_FLAG_KEY, flag), UseGuards(FeatureFlagGuard));
