import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../openapi/api-problems.decorator';
import { Roles } from '../route-metadata/access.decorators';
import { UpstreamsStatusDto } from './dto/upstream-status.dto';
import { UpstreamPools } from './upstream-pools.service';

@ApiTags('operations')
@Controller({ path: 'upstreams', version: VERSION_NEUTRAL })
export class UpstreamController {
  constructor(private readonly pools: UpstreamPools) {}

  @Get()
  @Roles('operator')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'listUpstreams',
    summary: 'Upstream pools: instances, breaker states, ejections, load',
  })
  @ApiOkResponse({ type: UpstreamsStatusDto })
  @ApiProblems(401, 403)
  list(): UpstreamsStatusDto {
    return { pools: this.pools.snapshot() };
  }
}
