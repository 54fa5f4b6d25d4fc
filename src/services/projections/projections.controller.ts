import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import sharp from 'sharp';
import { type Caller, CurrentCaller } from '../../platform/context';
import { acceptJob, ApiJobSubmission, type JobDto } from '../../platform/jobs';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { CreateProjectionDto } from './dto/create-projection.dto';
import { ProjectionIdParamDto } from './dto/projection-id-param.dto';
import { ProjectionDto, ProjectionListDto } from './dto/projection.dto';
import { projectionPlotSvg } from './plot/projection-plot';
import { ProjectionSubmitRateLimit } from './projections-route-limits';
import { PROJECTIONS_SERVICE } from './projections.constants';
import { ProjectionsService } from './projections.service';

@ApiTags('projections')
@ServiceRoute(PROJECTIONS_SERVICE)
@Controller({ path: 'projections', version: '1' })
export class ProjectionsController {
  constructor(private readonly projections: ProjectionsService) {}

  @Post()
  @ProjectionSubmitRateLimit()
  @ApiOperation({
    operationId: 'createProjection',
    summary:
      "Project the caller's tenant's RAG chunk embeddings (PCA, UMAP, t-SNE): 202 with the job, or 200 with a cached projection of the same corpus",
  })
  @ApiJobSubmission()
  @ApiExtraModels(ProjectionDto)
  @ApiOkResponse({
    description: 'Cache hit: the same request over the same corpus is already done or under way',
    schema: { $ref: getSchemaPath(ProjectionDto) },
  })
  @ApiProblems(400, 401, 403, 429, 503)
  async create(
    @Body() body: CreateProjectionDto,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobDto | ProjectionDto> {
    const submission = await this.projections.submit(body, caller);
    if (submission.kind === 'cached') {
      res.status(200);
      res.setHeader('Content-Location', `/v1/projections/${submission.projection.id}`);
      return submission.projection;
    }
    res.setHeader('Content-Location', `/v1/projections/${submission.submitted.job.id}`);
    return acceptJob(res, submission.submitted);
  }

  @Get()
  @ApiOperation({
    operationId: 'listProjections',
    summary: "The caller's tenant's projections, newest first, without points",
  })
  @ApiOkResponse({ type: ProjectionListDto })
  @ApiProblems(401, 403, 429, 503)
  list(@CurrentCaller() caller: Caller): Promise<ProjectionListDto> {
    return this.projections.list(caller);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getProjection',
    summary: 'A projection: status and progress, then points, clusters and quality',
  })
  @ApiOkResponse({ type: ProjectionDto })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  get(@Param() params: ProjectionIdParamDto, @CurrentCaller() caller: Caller): Promise<ProjectionDto> {
    return this.projections.get(params.id, caller);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteProjection', summary: 'Delete a projection (cancelling its job if unfinished)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async delete(@Param() params: ProjectionIdParamDto, @CurrentCaller() caller: Caller): Promise<void> {
    await this.projections.delete(params.id, caller);
  }

  @Get(':id/plot.svg')
  @ApiOperation({
    operationId: 'getProjectionPlotSvg',
    summary: 'Scatter plot of a finished projection, coloured by cluster, with a legend (SVG)',
  })
  @ApiProduces('image/svg+xml')
  @ApiOkResponse({ description: 'The plot', schema: { type: 'string' } })
  @ApiProblems(400, 401, 403, 404, 409, 429, 503)
  async plotSvg(
    @Param() params: ProjectionIdParamDto,
    @CurrentCaller() caller: Caller,
    @Res() res: Response,
  ): Promise<void> {
    const { projection, result } = await this.projections.finished(params.id, caller);
    send(res, 'image/svg+xml; charset=utf-8', Buffer.from(projectionPlotSvg(projection, result)));
  }

  @Get(':id/plot.png')
  @ApiOperation({ operationId: 'getProjectionPlotPng', summary: 'The same plot rendered to PNG' })
  @ApiProduces('image/png')
  @ApiOkResponse({ description: 'The plot', schema: { type: 'string', format: 'binary' } })
  @ApiProblems(400, 401, 403, 404, 409, 429, 503)
  async plotPng(
    @Param() params: ProjectionIdParamDto,
    @CurrentCaller() caller: Caller,
    @Res() res: Response,
  ): Promise<void> {
    const { projection, result } = await this.projections.finished(params.id, caller);
    send(
      res,
      'image/png',
      await sharp(Buffer.from(projectionPlotSvg(projection, result)))
        .png()
        .toBuffer(),
    );
  }
}

/**
 * Bytes with their type, set on the raw response (Express' res.set() would add a charset to
 * image/png). The SVG is text we generate with every label escaped; the sandboxing CSP is a
 * second fence should a browser open it directly.
 */
function send(res: Response, type: string, body: Buffer): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', body.length);
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  res.end(body);
}
