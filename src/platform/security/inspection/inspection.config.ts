import { IsIn } from 'class-validator';
import { defineEnvNamespace } from '../../config/env-namespace';

export const INSPECTION_MODES = ['block', 'flag', 'off'] as const;
export type InspectionMode = (typeof INSPECTION_MODES)[number];

class InspectionEnv {
  /** Default for every route: `block` (400), `flag` (security event only) or `off`. Routes override. */
  @IsIn(INSPECTION_MODES)
  INPUT_INSPECTION_MODE: InspectionMode = 'block';
}

export const inspectionConfig = defineEnvNamespace('inspection', InspectionEnv, (env) => ({
  mode: env.INPUT_INSPECTION_MODE,
}));
export type InspectionConfig = ReturnType<typeof inspectionConfig>;
