import 'reflect-metadata';
import { Controller, Get, Injectable, Module, VERSION_NEUTRAL } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { APP_INFO } from '../../src/app.info';
import { configurePlatformApp } from '../../src/platform/configure-app';
import { PlatformModule } from '../../src/platform/platform.module';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../src/platform/registry';
import { Public } from '../../src/platform/route-metadata/access.decorators';
import { SkipAllThrottles } from '../../src/platform/route-metadata/throttle.decorators';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 100);
const TTL_MS = Number(process.env.BENCH_TTL_MS ?? 1000);
/** checkHealth() invocations per service. */
const invocations = new Array<number>(SERVICES).fill(0);

/** 100 managed services in chains of ten (each depends on the one before), each check ~1 ms of I/O wait. */
function benchService(i: number) {
  class BenchService implements ManagedLifecycle {
    async checkHealth(): Promise<ServiceHealthReport> {
      invocations[i]++;
      await new Promise((r) => setTimeout(r, 1));
      return { status: 'UP', details: { i } };
    }
  }
  Object.defineProperty(BenchService, 'name', { value: `BenchService${i}` });
  ManagedService({
    name: `bench-${i}`,
    critical: false,
    healthTtlMs: TTL_MS,
    dependsOn: i % 10 === 0 ? [] : [`bench-${i - 1}`],
  })(BenchService);
  Injectable()(BenchService);
  return BenchService;
}

@Controller({ path: 'bench', version: VERSION_NEUTRAL })
class HealthBenchController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Baseline: a bare Terminus endpoint with one trivial indicator, behind the same stack. */
  @Get('terminus')
  @Public()
  @SkipAllThrottles()
  @HealthCheck()
  terminus() {
    return this.health.check([() => this.indicators.check('bare').up()]);
  }

  @Get('invocations')
  @Public()
  @SkipAllThrottles()
  counts() {
    return { invocations };
  }
}

@Module({
  imports: [PlatformModule.forRoot(), TerminusModule],
  controllers: [HealthBenchController],
  providers: Array.from({ length: SERVICES }, (_, i) => benchService(i)),
})
class HealthBenchModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(HealthBenchModule, {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${(app.getHttpServer().address() as { port: number }).port}\n`);
}
void main();
