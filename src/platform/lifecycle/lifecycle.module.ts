import { Global, Module } from '@nestjs/common';
import { DrainConnections } from './drain-connections';
import { LifecyclePhaseService } from './lifecycle-phase.service';

/**
 * The process's phase (starting, ready, draining) that the probes and streams read, and the
 * connection drain on shutdown. Signal handling is main.ts's ({@link installShutdownHandlers}).
 */
@Global()
@Module({
  providers: [LifecyclePhaseService, DrainConnections],
  exports: [LifecyclePhaseService],
})
export class LifecycleModule {}
