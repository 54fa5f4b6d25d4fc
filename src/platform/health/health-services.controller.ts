import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Put,
  Res,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblems } from '../openapi/api-problems.decorator';
import { ServiceNameParamDto } from '../registry/dto/service-name-param.dto';
import { ServiceRegistry } from '../registry/service-registry';
import { Public, Roles } from '../route-metadata/access.decorators';
import type { Caller } from '../context/caller';
import { CurrentCaller } from '../context/current-caller.decorator';
import { SkipAllThrottles } from '../route-metadata/throttle.decorators';
import { httpStatusFor } from './checks/health-status';
import { HealthTreeService } from './checks/health-tree.service';
import { ServiceHealthChecker } from './checks/service-health-checker.service';
import { showDetails } from './checks/show-details';
import { ServiceHealthViewDto } from './dto/health-tree.dto';
import { MaintenanceRequestDto } from './dto/maintenance-request.dto';
import { NO_CACHE } from './health.controller';
import { healthConfig, type HealthConfig } from './health.config';

/** One service's health, and its maintenance switch (OUT_OF_SERVICE). */
@ApiTags('health')
@Controller({ path: 'health/services', version: VERSION_NEUTRAL })
export class HealthServicesController {
  constructor(
    private readonly tree: HealthTreeService,
    private readonly registry: ServiceRegistry,
    private readonly checker: ServiceHealthChecker,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {}

  @Get(':name')
  @Public()
  @SkipAllThrottles()
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getServiceHealth',
    summary: "One managed service's health (dependency rules applied). 503 when DOWN or OUT_OF_SERVICE.",
  })
  @ApiOkResponse({ type: ServiceHealthViewDto })
  @ApiServiceUnavailableResponse({ type: ServiceHealthViewDto, description: 'DOWN or OUT_OF_SERVICE' })
  @ApiProblems(404)
  async get(
    @Param() { name }: ServiceNameParamDto,
    @CurrentCaller() caller: Caller | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ServiceHealthViewDto> {
    const view = await this.view(name, showDetails(this.config, caller));
    res.status(httpStatusFor(view.status));
    return view;
  }

  @Put(':name/maintenance')
  @HttpCode(200)
  @Roles('admin')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'startServiceMaintenance',
    summary: 'Take a service OUT_OF_SERVICE: it keeps running, its routes answer 503 until maintenance ends',
  })
  @ApiOkResponse({ type: ServiceHealthViewDto })
  @ApiProblems(400, 401, 403, 404)
  async startMaintenance(
    @Param() { name }: ServiceNameParamDto,
    @Body() body: MaintenanceRequestDto,
  ): Promise<ServiceHealthViewDto> {
    this.registry.setOutOfService(name, body.reason ?? 'maintenance');
    this.checker.invalidate(name);
    return this.view(name, true);
  }

  @Delete(':name/maintenance')
  @Roles('admin')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({ operationId: 'endServiceMaintenance', summary: 'Put a service back in service' })
  @ApiOkResponse({ type: ServiceHealthViewDto })
  @ApiProblems(401, 403, 404)
  async endMaintenance(@Param() { name }: ServiceNameParamDto): Promise<ServiceHealthViewDto> {
    this.registry.clearOutOfService(name);
    this.checker.invalidate(name);
    return this.view(name, true);
  }

  private async view(name: string, withDetails: boolean): Promise<ServiceHealthViewDto> {
    this.registry.get(name); // 404 problem for an unknown name
    const tree = await this.tree.tree(withDetails);
    const maintenance = this.registry.outOfService(name);
    return {
      name,
      ...tree.services[name],
      ...(maintenance && withDetails
        ? { maintenance: { reason: maintenance.reason, since: maintenance.since.toISOString() } }
        : {}),
    };
  }
}
