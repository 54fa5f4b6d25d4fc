import { Controller, Get, Query, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../openapi/api-problems.decorator';
import { Roles } from '../../route-metadata/access.decorators';
import { SecurityEventPageDto } from './dto/security-event.dto';
import { SecurityEventsQueryDto } from './dto/security-events-query.dto';
import { SecurityEventsService } from './security-events.service';

@ApiTags('security')
@Controller({ path: 'security', version: VERSION_NEUTRAL })
export class SecurityEventsController {
  constructor(private readonly events: SecurityEventsService) {}

  @Get('events')
  @Roles('admin')
  @ApiOperation({ operationId: 'listSecurityEvents', summary: 'Recent security events, newest first (bounded store)' })
  @ApiOkResponse({ type: SecurityEventPageDto })
  @ApiProblems(400)
  async list(@Query() query: SecurityEventsQueryDto): Promise<SecurityEventPageDto> {
    return { items: await this.events.list(query.offset, query.limit), offset: query.offset, limit: query.limit };
  }
}
