import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type Caller, CurrentCaller } from '../../platform/context';
import { acceptJob, ApiJobSubmission, idempotencyKeyOf, type JobDto } from '../../platform/jobs';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { Roles } from '../../platform/route-metadata';
import { COMFY_SERVICE } from './comfy-gateway.service';
import { ComfyJobsRateLimit } from './comfy-route-limits';
import { ComfyInvalidTemplateError } from './comfy.errors';
import { ComfyService } from './comfy.service';
import { ComfyJobRequestDto } from './dto/comfy-job-request.dto';
import {
  ComfyModelsDto,
  ComfyQueueDto,
  ComfyTemplateDto,
  ComfyTemplateListDto,
  ComfyTemplateParamDto,
} from './dto/comfy-responses.dto';
import { ComfyTemplateRefParamDto, ComfyTemplateRequestDto } from './dto/comfy-template-request.dto';
import { parseParams } from './templates/comfy-template';

/**
 * ComfyUI: `POST /v1/comfy/jobs` (a template with parameters, or a workflow) runs as a platform
 * job (`/jobs/{id}`, its events over SSE and WebSocket); templates; the servers' models and queues.
 */
@ApiTags('comfy')
@ApiExtraModels(ComfyTemplateParamDto)
@ServiceRoute(COMFY_SERVICE)
@Controller({ path: 'comfy', version: '1' })
export class ComfyController {
  constructor(private readonly comfy: ComfyService) {}

  @Post('jobs')
  @ComfyJobsRateLimit()
  @ApiJobSubmission()
  @ApiOperation({
    operationId: 'submitComfyJob',
    summary: 'Validate a template + params (or a workflow) against the servers’ node set and run it as a job',
  })
  @ApiProblems(400, 401, 403, 404, 429, 502, 503)
  async submit(
    @Body() body: ComfyJobRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobDto> {
    const submitted = await this.comfy.submit(body, caller, idempotencyKeyOf(req));
    return acceptJob(res, submitted);
  }

  @Post('templates')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'saveComfyTemplate',
    summary: 'Save a new version of a template (validated against object_info); global ones need admin',
  })
  @ApiCreatedResponse({ type: ComfyTemplateDto })
  @ApiProblems(400, 401, 403, 502, 503)
  async saveTemplate(
    @Body() body: ComfyTemplateRequestDto,
    @CurrentCaller() caller: Caller,
  ): Promise<ComfyTemplateDto> {
    const { params, problems } = parseParams(body.params);
    if (problems.length > 0)
      throw new ComfyInvalidTemplateError('The parameter map is malformed', { fieldErrors: problems });
    const { scope = 'tenant', ...template } = body;
    return await this.comfy.saveTemplate({ ...template, workflow: template.workflow as never, params }, scope, caller);
  }

  @Get('templates')
  @ApiOperation({ operationId: 'listComfyTemplates', summary: 'Newest version of every template you can use' })
  @ApiOkResponse({ type: ComfyTemplateListDto })
  @ApiProblems(401, 403)
  async listTemplates(@CurrentCaller() caller: Caller): Promise<ComfyTemplateListDto> {
    return { templates: (await this.comfy.listTemplates(caller.tenant)) as unknown as ComfyTemplateDto[] };
  }

  @Get('templates/:ref')
  @ApiOperation({ operationId: 'getComfyTemplate', summary: 'One template (`name` or `name@version`)' })
  @ApiOkResponse({ type: ComfyTemplateDto })
  @ApiProblems(400, 401, 403, 404)
  async getTemplate(
    @Param() params: ComfyTemplateRefParamDto,
    @CurrentCaller() caller: Caller,
  ): Promise<ComfyTemplateDto> {
    return await this.comfy.getTemplate(caller.tenant, params.ref);
  }

  @Get('models')
  @ApiOperation({
    operationId: 'listComfyModels',
    summary: 'Checkpoints, LoRAs, samplers and schedulers the servers offer',
  })
  @ApiOkResponse({ type: ComfyModelsDto })
  @ApiProblems(401, 403, 502, 503)
  models(): Promise<ComfyModelsDto> {
    return this.comfy.models();
  }

  @Get('queue')
  @Roles('operator')
  @ApiOperation({ operationId: 'getComfyQueue', summary: 'Running and pending prompt ids per connected server' })
  @ApiOkResponse({ type: ComfyQueueDto })
  @ApiProblems(401, 403, 502, 503)
  async queue(): Promise<ComfyQueueDto> {
    return { instances: await this.comfy.queues() };
  }
}
