export * from './alerts/health-alert';
export * from './automation/automation-rule';
export * from './checks/health-status';
export * from './checks/health-tree';
export * from './checks/health-tree.service';
export * from './checks/service-health-checker.service';
export * from './health.config';
export * from './health.errors';
