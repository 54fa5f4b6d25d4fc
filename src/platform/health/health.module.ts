import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventLoopMonitor } from './event-loop-monitor.service';
import { HealthController } from './health.controller';
import { LifecyclePhaseService } from './lifecycle-phase.service';
import { ProcessIndicators } from './process.indicators';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [EventLoopMonitor, LifecyclePhaseService, ProcessIndicators],
  exports: [LifecyclePhaseService, EventLoopMonitor],
})
export class HealthModule {}
