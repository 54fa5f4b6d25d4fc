import { Controller, Get, HttpCode, Param, Post, Query, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblems } from '../openapi/api-problems.decorator';
import { Roles } from '../route-metadata/access.decorators';
import { StartResultDto, StopResultDto } from './dto/lifecycle-command-result.dto';
import { RestartResultDto } from './dto/restart-result.dto';
import { ServiceDetailDto } from './dto/service-detail.dto';
import { ServiceGraphQueryDto } from './dto/service-graph-query.dto';
import { ServiceGraphDto } from './dto/service-graph.dto';
import { ServiceListDto } from './dto/service-list.dto';
import { ServiceNameParamDto } from './dto/service-name-param.dto';
import { ServiceDto } from './dto/service.dto';
import { toGraphView, toMermaid } from './service-graph-view';
import { ServiceRegistry } from './service-registry';

/** Admin API over the managed services: states, graph, stop, start, restart. */
@ApiTags('services')
@Controller({ path: 'services', version: VERSION_NEUTRAL })
export class RegistryController {
  constructor(private readonly registry: ServiceRegistry) {}

  @Get()
  @Roles('operator')
  @ApiOperation({
    operationId: 'listServices',
    summary: 'Every managed service: state, dependencies, durations, last error',
  })
  @ApiOkResponse({ type: ServiceListDto })
  @ApiProblems(401, 403)
  list(): ServiceListDto {
    return { status: this.registry.status(), services: this.registry.list().map((s) => ServiceDto.from(s)) };
  }

  @Get('graph')
  @Roles('operator')
  @ApiOperation({
    operationId: 'getServiceGraph',
    summary: 'The dependency graph as JSON nodes/edges, or Mermaid text',
  })
  @ApiProduces('application/json', 'text/plain')
  @ApiOkResponse({ type: ServiceGraphDto, description: 'JSON by default; text/plain Mermaid with ?format=mermaid' })
  @ApiProblems(400, 401, 403)
  graph(@Query() query: ServiceGraphQueryDto, @Res({ passthrough: true }) res: Response): ServiceGraphDto | string {
    const view = toGraphView(this.registry.list());
    if (query.format !== 'mermaid') return view;
    res.type('text/plain');
    return toMermaid(view);
  }

  @Get(':name')
  @Roles('operator')
  @ApiOperation({ operationId: 'getService', summary: 'One managed service with a fresh health check' })
  @ApiOkResponse({ type: ServiceDetailDto })
  @ApiProblems(401, 403, 404)
  async get(@Param() { name }: ServiceNameParamDto): Promise<ServiceDetailDto> {
    const snapshot = this.registry.get(name);
    const health = await this.registry.checkHealth(name);
    return { ...ServiceDto.from(snapshot), health };
  }

  @Post(':name/restart')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    operationId: 'restartService',
    summary: 'Stop the service and everything depending on it (reverse order), then start them again',
  })
  @ApiOkResponse({ type: RestartResultDto })
  @ApiProblems(401, 403, 404, 503)
  async restart(@Param() { name }: ServiceNameParamDto): Promise<RestartResultDto> {
    const restarted = await this.registry.restart(name);
    return { restarted, services: restarted.map((n) => ServiceDto.from(this.registry.get(n))) };
  }

  @Post(':name/stop')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    operationId: 'stopService',
    summary: 'Stop the service and everything depending on it (dependents first); its routes answer 503 until started',
  })
  @ApiOkResponse({ type: StopResultDto })
  @ApiProblems(401, 403, 404, 503)
  async stop(@Param() { name }: ServiceNameParamDto): Promise<StopResultDto> {
    const stopped = await this.registry.stopCascade(name);
    return { stopped, services: this.withDependents(name) };
  }

  @Post(':name/start')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    operationId: 'startService',
    summary:
      'Start the service: its required dependencies that are down first, then it, then its dependents that are down',
  })
  @ApiOkResponse({ type: StartResultDto })
  @ApiProblems(401, 403, 404, 503)
  async start(@Param() { name }: ServiceNameParamDto): Promise<StartResultDto> {
    const started = await this.registry.startCascade(name);
    return { started, services: this.withDependents(name) };
  }

  /** `name` and the services depending on it, in dependency order. */
  private withDependents(name: string): ServiceDto[] {
    const affected = new Set([name, ...(this.registry.graph()?.dependentsOf(name) ?? [])]);
    return this.registry
      .list()
      .filter((s) => affected.has(s.name))
      .map((s) => ServiceDto.from(s));
  }
}
