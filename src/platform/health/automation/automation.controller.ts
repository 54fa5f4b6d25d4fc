import { Body, Controller, Delete, Get, Header, HttpCode, Param, Put, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../openapi/api-problems.decorator';
import { ServiceRegistry } from '../../registry/service-registry';
import { Roles } from '../../route-metadata/access.decorators';
import {
  AutomationRuleBodyDto,
  AutomationRuleDto,
  AutomationRuleListDto,
  RuleNameParamDto,
} from '../dto/automation-rule.dto';
import { NO_CACHE } from '../health.controller';
import { AutomationRuleNotFoundError } from '../health.errors';
import { AutomationService } from './automation.service';

/** Automation rules, changeable at runtime (this instance; HEALTH_AUTOMATION_RULES sets them at boot). */
@ApiTags('health')
@Controller({ path: 'health/automation/rules', version: VERSION_NEUTRAL })
export class AutomationController {
  constructor(
    private readonly automation: AutomationService,
    private readonly registry: ServiceRegistry,
  ) {}

  @Get()
  @Roles('operator')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({ operationId: 'listAutomationRules', summary: 'The automation rules in force' })
  @ApiOkResponse({ type: AutomationRuleListDto })
  @ApiProblems(401, 403)
  list(): AutomationRuleListDto {
    return { rules: this.automation.engine.list() };
  }

  @Put(':name')
  @HttpCode(200)
  @Roles('admin')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({ operationId: 'putAutomationRule', summary: 'Create or replace a rule (a replaced rule starts over)' })
  @ApiOkResponse({ type: AutomationRuleDto })
  @ApiProblems(400, 401, 403, 404)
  put(@Param() { name }: RuleNameParamDto, @Body() body: AutomationRuleBodyDto): AutomationRuleDto {
    if (body.service !== '*') this.registry.get(body.service); // 404 problem for an unknown service
    const rule = { ...body, name };
    this.automation.engine.upsert(rule);
    return rule;
  }

  @Delete(':name')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ operationId: 'deleteAutomationRule', summary: 'Delete a rule (its active alerts clear)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(401, 403, 404)
  remove(@Param() { name }: RuleNameParamDto): void {
    if (!this.automation.engine.remove(name)) throw new AutomationRuleNotFoundError(name);
  }
}
