import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { Public } from '../../platform/route-metadata';
import { MIME_TYPES } from './image-record';
import { ImageSignedUrls } from './image-signed-urls';
import { ImagesService } from './images.service';

export class SignedImageTokenDto {
  /** The token of a signed URL, as the route that made it answered it. */
  @Matches(/^[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{43}$/, { message: 'token is not a signed image token' })
  token: string;
}

/**
 * `GET /v1/images/signed/{token}`: the image a signed URL grants, without credentials (the
 * signature is the credential), until it expires. 403 for a bad signature or an expired URL.
 */
@ApiTags('images')
@ServiceRoute('images')
@Controller({ path: 'images/signed', version: '1' })
export class ImageSignedUrlController {
  constructor(
    private readonly images: ImagesService,
    private readonly urls: ImageSignedUrls,
  ) {}

  @Get(':token')
  @Public()
  @ApiOperation({
    operationId: 'getSignedImage',
    summary: 'The image a signed, expiring URL grants (no credentials needed); 403 when tampered with or expired',
  })
  @ApiOkResponse({ description: 'Image bytes' })
  @ApiProblems(400, 403, 404, 429, 503)
  async get(@Param() p: SignedImageTokenDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    const grant = this.urls.verify(p.token);
    const record = await this.images.get(grant.tenant, grant.id);
    const maxAge = Math.max(0, grant.expiresAt - Math.floor(Date.now() / 1000));
    res.setHeader('cache-control', `private, max-age=${maxAge}`);
    res.setHeader('content-security-policy', "default-src 'none'; sandbox");
    if (grant.format && grant.format !== record.format) {
      const derived = await this.images.variant(record, { fit: 'inside', format: grant.format });
      res.setHeader('content-type', derived.contentType);
      res.setHeader('content-length', String(derived.bytes.length));
      this.images.countServed('variant', derived.bytes.length);
      res.end(req.method === 'HEAD' ? undefined : derived.bytes);
      return;
    }
    res.setHeader('content-type', MIME_TYPES[record.format]);
    res.setHeader('content-length', String(record.bytes));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    this.images.countServed('original', record.bytes);
    await pipeline(createReadStream(this.images.blobPath(record)), res);
  }
}
