import { Controller, Get, Header, Inject, Res, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../security/auth.decorators';
import type { Caller } from '../security/auth/caller';
import { CurrentCaller } from '../security/auth/current-caller.decorator';
import { SkipAllThrottles } from '../security/throttling/throttle.decorators';
import { httpStatusFor } from './checks/health-status';
import { HealthTreeService } from './checks/health-tree.service';
import { showDetails } from './checks/show-details';
import { stripProbeDetails } from './checks/strip-probe-details';
import { HealthTreeDto } from './dto/health-tree.dto';
import { healthConfig, type HealthConfig } from './health.config';
import { HealthResultSchema } from './health-result.schema';
import { ProcessIndicators } from './process.indicators';

export const NO_CACHE = 'no-cache, no-store, must-revalidate';

/**
 * Probes (Terminus' body: `{ status, info, error, details }`) and the full tree (Fennec's own body,
 * five status levels). Everything public; data and reasons only for authorized callers.
 */
@ApiTags('health')
@ApiExtraModels(HealthTreeDto)
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly process: ProcessIndicators,
    private readonly tree: HealthTreeService,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {}

  @Get()
  @Public()
  @SkipAllThrottles()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getHealth',
    summary:
      'Full health tree: overall status, built-in indicators, every managed service. 503 when DOWN or OUT_OF_SERVICE.',
  })
  @ApiOkResponse({ type: HealthTreeDto, description: 'UP, DEGRADED or UNKNOWN' })
  @ApiServiceUnavailableResponse({ type: HealthTreeDto, description: 'DOWN or OUT_OF_SERVICE' })
  async full(
    @CurrentCaller() caller: Caller | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<HealthTreeDto> {
    const tree = await this.tree.tree(showDetails(this.config, caller));
    res.status(httpStatusFor(tree.status));
    return tree;
  }

  @Get('live')
  @Public()
  @SkipAllThrottles()
  @HealthCheck()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getLiveness',
    summary:
      'Is this process broken so that a restart would help? 503 only for a wedged event loop (no turn for HEALTH_LIVENESS_STALL_MS), never for load.',
  })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema })
  live(@CurrentCaller() caller: Caller | undefined) {
    return this.probe(caller, [() => this.process.eventLoop()]);
  }

  @Get('ready')
  @Public()
  @SkipAllThrottles()
  @HealthCheck()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getReadiness',
    summary:
      'Should this instance receive traffic? 503 while starting, draining, a critical service is not running, or the process is saturated (event-loop lag, heap).',
  })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema })
  ready(@CurrentCaller() caller: Caller | undefined) {
    return this.probe(caller, [
      () => this.process.acceptingTraffic(),
      () => this.process.criticalServices(),
      () => this.process.eventLoopLag(),
      () => this.process.heap(),
    ]);
  }

  @Get('startup')
  @Public()
  @SkipAllThrottles()
  @HealthCheck()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({ operationId: 'getStartup', summary: 'Has boot finished? 503 until it has.' })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema })
  startup(@CurrentCaller() caller: Caller | undefined) {
    return this.probe(caller, [() => this.process.startup()]);
  }

  /** Runs a Terminus check; anonymous callers get each indicator's status only (200 and 503 alike). */
  private async probe(caller: Caller | undefined, indicators: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    const full = showDetails(this.config, caller);
    try {
      const result = await this.health.check(indicators);
      return full ? result : stripProbeDetails(result);
    } catch (err) {
      if (full || !(err instanceof ServiceUnavailableException)) throw err;
      throw new ServiceUnavailableException(stripProbeDetails(err.getResponse() as HealthCheckResult));
    }
  }
}
