/** The registry name of the projections service (its runtime config is `/config/projections`). */
export const PROJECTIONS_SERVICE = 'projections';
