import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblems } from '../openapi/api-problems.decorator';
import { Roles } from '../route-metadata/access.decorators';
import { StateService } from '../state/state.service';
import { ConfigHistoryDto, ConfigHistoryQueryDto } from './dto/config-history.dto';
import { ConfigListDto } from './dto/config-list.dto';
import { ConfigRollbackDto } from './dto/config-rollback.dto';
import { ConfigSnapshotDto } from './dto/config-snapshot.dto';
import type { JsonSchema } from './config-json-schema';
import { etagOf, parseIfMatch } from './if-match';
import { RuntimeConfigService } from './runtime-config.service';

/** Who is calling, once the security module has authenticated the request. */
const callerId = (req: Request) => (req as Request & { caller?: { id?: string } }).caller?.id ?? 'anonymous';

const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description: 'Apply only if the current version is this one (e.g. "3"); otherwise 409 CONFIG.VERSION_CONFLICT',
};

@ApiTags('config')
@Controller({ path: 'config', version: VERSION_NEUTRAL })
export class RuntimeConfigController {
  constructor(
    private readonly config: RuntimeConfigService,
    private readonly state: StateService,
  ) {}

  @Get()
  @Roles('operator')
  @ApiOperation({
    operationId: 'listConfig',
    summary: 'Services with runtime configuration and their current versions',
  })
  @ApiOkResponse({ type: ConfigListDto })
  async list(): Promise<ConfigListDto> {
    const health = await this.state.checkHealth();
    return {
      services: this.config.services().map((service) => {
        const { version, updatedAt } = this.config.snapshot(service);
        return { service, version, updatedAt };
      }),
      store: { backend: this.state.backend, status: health.status },
    };
  }

  @Get(':service')
  @Roles('operator')
  @ApiOperation({
    operationId: 'getConfig',
    summary: 'Current values of a service (secrets masked), version, updatedAt, updatedBy',
  })
  @ApiOkResponse({
    type: ConfigSnapshotDto,
    headers: { ETag: { description: 'The version, quoted', schema: { type: 'string' } } },
  })
  @ApiProblems(404)
  get(@Param('service') service: string, @Res({ passthrough: true }) res: Response): ConfigSnapshotDto {
    const snapshot = this.config.snapshot(service);
    res.setHeader('ETag', etagOf(snapshot.version));
    return snapshot;
  }

  @Patch(':service')
  @Roles('admin')
  @ApiOperation({
    operationId: 'patchConfig',
    summary:
      'Change some values (JSON merge patch; null clears a runtime value). Validated; applied on every instance.',
  })
  @ApiHeader(IF_MATCH)
  @ApiBody({ schema: { type: 'object', additionalProperties: true, example: { topK: 8 } } })
  @ApiOkResponse({ type: ConfigSnapshotDto })
  @ApiProblems(400, 404, 409, 503)
  async patch(
    @Param('service') service: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConfigSnapshotDto> {
    const snapshot = await this.config.patch(service, body, { ifMatch: parseIfMatch(ifMatch), by: callerId(req) });
    res.setHeader('ETag', etagOf(snapshot.version));
    return snapshot;
  }

  @Get(':service/schema')
  @Roles('operator')
  @ApiOperation({
    operationId: 'getConfigSchema',
    summary:
      "JSON Schema of a service's settings: types, ranges, defaults, secrets (x-fennec-secret); validate before PATCH",
  })
  @ApiOkResponse({ description: 'A JSON Schema object', schema: { type: 'object', additionalProperties: true } })
  @ApiProblems(404)
  schema(@Param('service') service: string): JsonSchema {
    return this.config.jsonSchema(service);
  }

  @Get(':service/history')
  @Roles('operator')
  @ApiOperation({ operationId: 'getConfigHistory', summary: 'Accepted versions, newest first (bounded)' })
  @ApiOkResponse({ type: ConfigHistoryDto })
  @ApiProblems(400, 404, 503)
  async history(@Param('service') service: string, @Query() query: ConfigHistoryQueryDto): Promise<ConfigHistoryDto> {
    const entries = await this.config.history(service, query.offset ?? 0, query.limit ?? 20);
    return { service, entries };
  }

  @Post(':service/rollback')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    operationId: 'rollbackConfig',
    summary: 'Restore the runtime values of an earlier version, as a new version',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: ConfigSnapshotDto })
  @ApiProblems(400, 404, 409, 503)
  async rollback(
    @Param('service') service: string,
    @Body() body: ConfigRollbackDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConfigSnapshotDto> {
    const snapshot = await this.config.rollback(service, body.version, {
      ifMatch: parseIfMatch(ifMatch),
      by: callerId(req),
    });
    res.setHeader('ETag', etagOf(snapshot.version));
    return snapshot;
  }
}
