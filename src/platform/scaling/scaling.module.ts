import { Global, Module } from '@nestjs/common';
import { ScalingSignals } from './scaling-signals.service';

/** Scaling signals and the `fennec_desired_replicas` recommendation (docs/operations.md "Autoscaling"). */
@Global()
@Module({
  providers: [ScalingSignals],
  exports: [ScalingSignals],
})
export class ScalingModule {}
