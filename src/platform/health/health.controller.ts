import { Controller, Get, Header, Inject, Res, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../route-metadata/access.decorators';
import type { Caller } from '../context/caller';
import { CurrentCaller } from '../context/current-caller.decorator';
import { SkipAllThrottles } from '../route-metadata/throttle.decorators';
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
    return this.probe(caller, [() => this.process.eventLoop()], { passWhileDraining: true });
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
    return this.probe(caller, [() => this.process.startup()], { passWhileDraining: true });
  }

  /**
   * Runs a Terminus check; anonymous callers get each indicator's status only (200 and 503 alike).
   * Terminus reports `shutting_down` (503) from the moment shutdown begins; with
   * `passWhileDraining` (liveness, startup) that alone answers 200: a draining process is not
   * broken, and a failing liveness probe would have it killed before its in-flight work is done.
   */
  private async probe(
    caller: Caller | undefined,
    indicators: HealthIndicatorFunction[],
    { passWhileDraining = false } = {},
  ): Promise<HealthCheckResult> {
    const full = showDetails(this.config, caller);
    try {
      const result = await this.health.check(indicators);
      return full ? result : stripProbeDetails(result);
    } catch (err) {
      if (passWhileDraining && err instanceof ServiceUnavailableException) {
        const result = err.getResponse() as HealthCheckResult;
        if (result.status === 'shutting_down' && Object.keys(result.error ?? {}).length === 0) {
          return full ? result : stripProbeDetails(result);
        }
      }
      if (full || !(err instanceof ServiceUnavailableException)) throw err;
      throw new ServiceUnavailableException(stripProbeDetails(err.getResponse() as HealthCheckResult));
    }
  }
}
