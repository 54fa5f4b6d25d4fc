import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { type Caller, CurrentCaller } from '../../platform/context';
import { abortOnDisconnect } from '../../platform/http';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { CaptionRateLimit } from './captions-route-limits';
import { CaptionsService } from './captions.service';
import { CaptionOptionsDto } from './dto/caption-request.dto';
import { CaptionDto } from './dto/caption.dto';
import { ImageIdParamDto } from './dto/image-id-param.dto';

/** `POST /v1/images/:id/captions`: the captions service's route on an image. */
@ApiTags('captions')
@ServiceRoute('captions')
@Controller({ path: 'images', version: '1' })
export class ImageCaptionsController {
  constructor(private readonly captions: CaptionsService) {}

  @Post(':id/captions')
  @HttpCode(200)
  @CaptionRateLimit()
  @ApiOperation({
    operationId: 'captionImage',
    summary: 'Caption an image with a vision model; the caption, its checks and score are stored on the image',
    description:
      'The image is sent as a JPEG of at most CAPTIONS_MAX_IMAGE_SIDE px. The answer is checked (length, refusal, ' +
      'boiler-plate, repetition, language, tags); a failing one is retried once with a stricter prompt and then ' +
      'returned with `flagged: true`. 503 LLM.UNAVAILABLE while the LLM gateway is not available.',
  })
  @ApiOkResponse({ type: CaptionDto })
  @ApiProblems(400, 401, 403, 404, 429, 502, 503, 504)
  async caption(
    @Param() p: ImageIdParamDto,
    @Body() body: CaptionOptionsDto,
    @CurrentCaller() caller: Caller | undefined,
    @Req() req: Request,
  ): Promise<CaptionDto> {
    const spec = this.captions.resolve(body);
    return this.captions.caption(caller?.tenant || 'default', p.id, spec, abortOnDisconnect(req));
  }
}
