import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../security/auth.decorators';
import { SkipAllThrottles } from '../security/throttling/throttle.decorators';
import { HealthResultSchema } from './health-result.schema';
import { ProcessIndicators } from './process.indicators';

const NO_CACHE = 'no-cache, no-store, must-revalidate';

@ApiTags('health')
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly process: ProcessIndicators,
  ) {}

  @Get('live')
  @Public()
  @SkipAllThrottles()
  @HealthCheck()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({ operationId: 'getLiveness', summary: 'Can this process serve at all? 503 means "restart me".' })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema })
  live() {
    return this.health.check([() => this.process.eventLoop(), () => this.process.heap()]);
  }

  @Get('ready')
  @Public()
  @SkipAllThrottles()
  @HealthCheck()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Should this instance receive traffic? 503 while starting or draining.',
  })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema })
  ready() {
    return this.health.check([() => this.process.acceptingTraffic()]);
  }

  @Get('startup')
  @Public()
  @SkipAllThrottles()
  @HealthCheck()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({ operationId: 'getStartup', summary: 'Has boot finished? 503 until it has.' })
  @ApiOkResponse({ type: HealthResultSchema })
  @ApiServiceUnavailableResponse({ type: HealthResultSchema })
  startup() {
    return this.health.check([() => this.process.startup()]);
  }
}
