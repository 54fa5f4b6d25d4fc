import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthAlertsService } from './alerts/health-alerts.service';
import { AutomationController } from './automation/automation.controller';
import { AutomationService } from './automation/automation.service';
import { HealthTreeService } from './checks/health-tree.service';
import { ServiceHealthChecker } from './checks/service-health-checker.service';
import { HealthInsightsController } from './health-insights.controller';
import { HealthServicesController } from './health-services.controller';
import { HealthController } from './health.controller';
import { healthConfig, type HealthConfig } from './health.config';
import { HealthHistory } from './monitor/health-history';
import { HealthMonitorService } from './monitor/health-monitor.service';
import { ProcessIndicators } from './process.indicators';

/**
 * Probes, the /health tree, per-service checks (cached, single-flight), the background monitor
 * with history and trends, alerts and automation rules.
 * Uses the registry (global) for services and maintenance.
 */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController, HealthServicesController, HealthInsightsController, AutomationController],
  providers: [
    ProcessIndicators,
    {
      provide: HealthHistory,
      inject: [healthConfig.KEY],
      useFactory: (config: HealthConfig) => new HealthHistory(config.historySize),
    },
    ServiceHealthChecker,
    HealthTreeService,
    HealthAlertsService,
    HealthMonitorService,
    AutomationService,
  ],
  exports: [ServiceHealthChecker, HealthTreeService],
})
export class HealthModule {}
