import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { validationExceptionFactory } from '../../platform/errors';
import { acceptJob, ApiJobSubmission, idempotencyKeyOf, type JobDto, JobsService } from '../../platform/jobs';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { type Caller, CurrentCaller } from '../../platform/context';
import { planImageBatch } from './batch/image-batch-plan';
import { IMAGE_BATCH_JOB } from './batch/image-batch.job';
import { ImageBatchRequestDto } from './dto/image-batch-request.dto';
import { ImageIdParamDto } from './dto/image-id-param.dto';
import { ImageDto, ImageListDto, IngestResponseDto, SimilarImagesDto, toImageDto } from './dto/image.dto';
import { IngestJsonDto } from './dto/ingest-json.dto';
import { ListImagesQueryDto } from './dto/list-images-query.dto';
import { SimilarQueryDto } from './dto/similar-query.dto';
import { TransformRequestDto } from './dto/transform-request.dto';
import { VariantQueryDto } from './dto/variant-query.dto';
import { MIME_TYPES, type ImageRecord } from './image-record';
import type { IngestResult } from './image-store';
import { TransformRateLimit, UploadRateLimit } from './images-route-limits';
import { tenantOf } from './images-tenant';
import { ImageTooManyFilesError, ImageUploadMalformedError } from './images.errors';
import { type DerivedImage, ImagesService } from './images.service';
import { receiveMultipart } from './processing/multipart-receiver';
import { planTransform } from './processing/transform-plan';
import { variantKey } from './processing/variant-spec';
import type { StagedFile } from './processing/staged-file';

/** Images never change behind an id: clients and proxies may keep them (private: they need credentials). */
const IMMUTABLE = 'private, max-age=31536000, immutable';
const BINARY = { schema: { type: 'string', format: 'binary' } };
const IMAGE_CONTENT = Object.fromEntries(
  ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif', 'image/tiff'].map((t) => [t, BINARY]),
);
const DATA_URI = /^data:[a-z0-9.+/-]*(;[a-z0-9=.+-]+)*;base64,/i;

@ApiTags('images')
@ServiceRoute('images')
@ApiExtraModels(IngestJsonDto)
@Controller({ path: 'images', version: '1' })
export class ImagesController {
  constructor(
    private readonly images: ImagesService,
    private readonly jobs: JobsService,
  ) {}

  @Post()
  @UploadRateLimit()
  @ApiOperation({
    operationId: 'uploadImages',
    summary:
      "Store images in the caller's tenant: multipart/form-data (streamed) or JSON with base64 / data URIs; 201 when any was new, 200 when all were already stored",
    description:
      'The format is detected from the bytes (JPEG, PNG, WebP, GIF, TIFF, AVIF; BMP converted and SVG rasterised to PNG); ' +
      'the pixel count is checked from the header before decoding. Exact duplicates answer the existing image with `duplicateOf`; ' +
      'perceptually similar images are listed in `nearDuplicates`. A request with one bad image stores none.',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['file'],
            properties: {
              file: {
                type: 'array',
                items: { type: 'string', format: 'binary' },
                description: 'One or more image parts',
              },
              stripMetadata: {
                type: 'string',
                enum: ['true', 'false'],
                description: 'Remove EXIF/XMP/IPTC (GPS included)',
              },
            },
          },
        },
        'application/json': { schema: { $ref: getSchemaPath(IngestJsonDto) } },
      },
    },
  })
  @ApiOkResponse({ type: IngestResponseDto, description: 'Every image was already stored (exact duplicates)' })
  @ApiCreatedResponse({ type: IngestResponseDto, description: 'At least one image was stored' })
  @ApiProblems(400, 401, 403, 413, 429, 503)
  async upload(
    @Req() req: Request,
    @CurrentCaller() caller: Caller | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<IngestResponseDto> {
    const tenant = tenantOf(caller);
    let files: { staged: StagedFile; filename?: string }[];
    let stripMetadata: boolean | undefined;
    if (req.is('multipart/form-data')) {
      const received = await receiveMultipart(
        req,
        { maxFiles: this.images.limits.maxFilesPerRequest, maxBytes: this.images.limits.maxBytes },
        (s) => this.images.stage(s),
      );
      files = received.files;
      try {
        stripMetadata = parseBooleanField(received.fields.stripMetadata);
      } catch (err) {
        await this.images.discard(files.map((f) => f.staged));
        throw err;
      }
    } else if (req.is('application/json')) {
      const body = await validJson(req.body);
      if (body.images.length > this.images.limits.maxFilesPerRequest) {
        throw new ImageTooManyFilesError(
          `${body.images.length} images in one request; the limit is ${this.images.limits.maxFilesPerRequest} (IMAGES_MAX_FILES_PER_REQUEST)`,
        );
      }
      files = [];
      try {
        for (const [i, image] of body.images.entries()) {
          files.push({
            staged: await this.images.stage(Readable.from([decodeBase64(image.data, i)])),
            filename: image.filename,
          });
        }
      } catch (err) {
        await this.images.discard(files.map((f) => f.staged));
        throw err;
      }
      stripMetadata = body.stripMetadata;
    } else {
      throw new ImageUploadMalformedError(
        `Send the images as multipart/form-data or application/json, not ${req.headers['content-type'] ?? 'no content type'}`,
      );
    }
    const results = await this.images.ingest(tenant, files, { source: 'upload', stripMetadata });
    res.status(results.some((r) => r.created) ? 201 : 200);
    return { items: results.map(toResultDto) };
  }

  @Post('batch')
  @TransformRateLimit()
  @ApiJobSubmission()
  @ApiOperation({
    operationId: 'submitImageBatch',
    summary:
      'Convert or resize many images as a job: `variant` answers references to cached variants, `transform` stores each result as a new image (source `derived`)',
    description:
      'Every id and the operation are checked against each image before the job is accepted (400/404/413). ' +
      'Follow the job at `/jobs/{id}` and `/jobs/{id}/events` (a `progress` event per image: `value` of `max`, `stage` succeeded|failed); ' +
      'cancel with `DELETE /jobs/{id}`. The result lists one item per image.',
  })
  @ApiProblems(400, 401, 403, 404, 413, 429, 503)
  async batch(
    @Body() body: ImageBatchRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobDto> {
    const idempotencyKey = idempotencyKeyOf(req);
    const payload = await planImageBatch(this.images, tenantOf(caller), body);
    const submitted = await this.jobs.submit(IMAGE_BATCH_JOB, payload, caller, { idempotencyKey });
    return acceptJob(res, submitted);
  }

  @Get()
  @ApiOperation({ operationId: 'listImages', summary: "The caller's tenant's images, newest first, with filters" })
  @ApiOkResponse({ type: ImageListDto })
  @ApiProblems(400, 401, 403, 429, 503)
  async list(@Query() q: ListImagesQueryDto, @CurrentCaller() caller: Caller | undefined): Promise<ImageListDto> {
    const { items, total } = await this.images.list(
      tenantOf(caller),
      {
        source: q.source,
        format: q.format,
        createdFrom: q.createdFrom,
        createdTo: q.createdTo,
        captionContains: q.caption,
      },
      { offset: q.offset, limit: q.limit },
    );
    return { items: items.map(toImageDto), total, offset: q.offset, limit: q.limit };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getImage', summary: "An image's metadata" })
  @ApiOkResponse({ type: ImageDto })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async get(@Param() p: ImageIdParamDto, @CurrentCaller() caller: Caller | undefined): Promise<ImageDto> {
    return toImageDto(await this.images.get(tenantOf(caller), p.id));
  }

  @Get(':id/similar')
  @ApiOperation({
    operationId: 'listSimilarImages',
    summary: "The tenant's images whose perceptual hash is within a Hamming distance of this one's, nearest first",
  })
  @ApiOkResponse({ type: SimilarImagesDto })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async similar(
    @Param() p: ImageIdParamDto,
    @Query() q: SimilarQueryDto,
    @CurrentCaller() caller: Caller | undefined,
  ): Promise<SimilarImagesDto> {
    const maxDistance = q.maxDistance ?? this.images.settings().nearDuplicateDistance;
    const hits = await this.images.similar(tenantOf(caller), p.id, maxDistance, q.limit);
    return { items: hits.map((h) => ({ image: toImageDto(h.image), distance: h.distance })), maxDistance };
  }

  @Get(':id/content')
  @ApiOperation({
    operationId: 'getImageContent',
    summary: 'The original bytes, or with w/h/fit/format/q a derived variant (bounded by config, cached); HEAD works',
    description:
      'Answers `ETag` and `Cache-Control: immutable`; `If-None-Match` gives 304 without rendering. ' +
      'A variant without `format` is negotiated from `Accept` (WebP, then AVIF, else the source format) and answers `Vary: Accept`. ' +
      'Derived images carry no EXIF/GPS and have the orientation applied.',
  })
  @ApiOkResponse({ description: 'Image bytes', content: IMAGE_CONTENT })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched the ETag' })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async content(
    @Param() p: ImageIdParamDto,
    @Query() q: VariantQueryDto,
    @CurrentCaller() caller: Caller | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const record = await this.images.get(tenantOf(caller), p.id);
    res.setHeader('cache-control', IMMUTABLE);
    res.setHeader('content-security-policy', "default-src 'none'; sandbox");
    if (q.w === undefined && q.h === undefined && q.format === undefined && q.fit === undefined && q.q === undefined) {
      return this.sendOriginal(record, req, res);
    }
    const { spec, negotiated } = this.images.resolveVariant(record, q, req.headers.accept);
    if (negotiated) res.setHeader('vary', 'Accept');
    res.setHeader('etag', this.images.derivedEtag(record, variantKey(spec)));
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    sendDerived(res, req, await this.images.variant(record, spec), (n) => this.images.countServed('variant', n));
  }

  @Post(':id/transform')
  @HttpCode(200)
  @TransformRateLimit()
  @ApiOperation({
    operationId: 'transformImage',
    summary:
      'Apply resize, crop, rotate, flip, grayscale, blur and a format conversion, in order; answers the image (cached)',
  })
  @ApiOkResponse({ description: 'Image bytes', content: IMAGE_CONTENT })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched the ETag' })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async transform(
    @Param() p: ImageIdParamDto,
    @Body() body: TransformRequestDto,
    @CurrentCaller() caller: Caller | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const record = await this.images.get(tenantOf(caller), p.id);
    const steps = planTransform(body.operations, record, this.images.limits.transformMaxDimension);
    const format = this.images.outputFormat(body.format, record);
    const derived = await this.images.transform(record, steps, format, body.quality);
    res.setHeader('cache-control', IMMUTABLE);
    res.setHeader('content-security-policy', "default-src 'none'; sandbox");
    res.setHeader('etag', derived.etag);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    sendDerived(res, req, derived, (n) => this.images.countServed('transform', n));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteImage',
    summary: 'Delete an image with its cached variants (and its bytes, unless shared)',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404, 429, 503)
  async delete(@Param() p: ImageIdParamDto, @CurrentCaller() caller: Caller | undefined): Promise<void> {
    await this.images.delete(tenantOf(caller), p.id);
  }

  private async sendOriginal(record: ImageRecord, req: Request, res: Response): Promise<void> {
    res.setHeader('etag', `"${record.sha256}"`);
    if (req.fresh) {
      res.status(304).end();
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

function sendDerived(res: Response, req: Request, d: DerivedImage, count: (bytes: number) => void): void {
  res.setHeader('content-type', d.contentType);
  res.setHeader('content-length', String(d.bytes.length));
  res.setHeader('x-image-cache', d.cache);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  count(d.bytes.length);
  res.end(d.bytes);
}

function toResultDto(r: IngestResult) {
  return {
    image: toImageDto(r.image),
    created: r.created,
    ...(r.duplicateOf ? { duplicateOf: r.duplicateOf } : {}),
    nearDuplicates: r.nearDuplicates,
  };
}

function parseBooleanField(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ImageUploadMalformedError(`The form field stripMetadata must be true or false, not '${value}'`);
}

async function validJson(body: unknown): Promise<IngestJsonDto> {
  const dto = plainToInstance(IngestJsonDto, body ?? {});
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) throw validationExceptionFactory(errors);
  return dto;
}

/** Base64 (or a data URI's base64 part), strictly: a typo must not become a different image. */
function decodeBase64(data: string, index: number): Buffer {
  const b64 = data.replace(DATA_URI, '').replace(/\s+/g, '');
  if (b64.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
    throw new ImageUploadMalformedError(`images[${index}].data is not base64 or a base64 data URI`);
  }
  return Buffer.from(b64, 'base64');
}
