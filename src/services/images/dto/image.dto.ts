import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IMAGE_SOURCES, INPUT_FORMATS, STORED_FORMATS, type ImageRecord } from '../image-record';

/** One measured quality check of a caption. */
export class CaptionCheckDto {
  @ApiProperty({ example: 'length', description: 'length, refusal, boilerplate, repetition, language, tags' })
  name: string;

  @ApiProperty()
  passed: boolean;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }], description: 'What was measured' })
  measured?: string | number;

  @ApiPropertyOptional({ example: 'a 4-gram repeats 6 times' })
  detail?: string;
}

/** How a caption was made and how it scored. */
export class CaptionInfoDto {
  @ApiProperty({ example: 'descriptive', description: 'descriptive, short, tags, sd-prompt or custom' })
  style: string;

  @ApiProperty({ example: 'llava:7b' })
  model: string;

  @ApiProperty({ type: 'string', nullable: true, example: 'en' })
  language: string | null;

  @ApiProperty({ minimum: 0, maximum: 1, description: 'Share of the weighted checks passed' })
  score: number;

  @ApiProperty({ description: 'A check still failed after the stricter retry' })
  flagged: boolean;

  @ApiProperty({ type: [CaptionCheckDto] })
  checks: CaptionCheckDto[];

  @ApiPropertyOptional({ type: [String], description: 'Normalised tags (style tags)' })
  tags?: string[];

  @ApiProperty({ minimum: 1, maximum: 2 })
  attempts: number;

  @ApiProperty({ example: '2026-01-01T00:00:00.000Z' })
  createdAt: string;
}

/** An image's metadata as answered by the API (the tenant is implied by the caller). */
export class ImageDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'SHA-256 (hex) of the stored bytes', example: 'a3f1…' })
  sha256: string;

  @ApiProperty({ description: '64-bit perceptual hash (pHash), 16 hex digits', example: 'c3a1f0e0d8b89c1e' })
  phash: string;

  @ApiProperty({ enum: STORED_FORMATS, description: 'Format of the stored bytes' })
  format: string;

  @ApiProperty({ enum: INPUT_FORMATS, description: 'Format uploaded (SVG is rasterised and BMP converted to PNG)' })
  originalFormat: string;

  @ApiProperty({ description: 'Displayed width (EXIF orientation applied)', example: 1024 })
  width: number;

  @ApiProperty({ description: 'Displayed height (EXIF orientation applied)', example: 768 })
  height: number;

  @ApiProperty({ description: 'Size of the stored bytes', example: 183211 })
  bytes: number;

  @ApiProperty({ description: 'Frames (1 unless animated)', example: 1 })
  frames: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: 8,
    description: 'EXIF orientation of the upload',
  })
  orientation: number | null;

  @ApiProperty({ description: 'EXIF/XMP/IPTC (GPS included) removed on ingest' })
  metadataStripped: boolean;

  @ApiProperty({ enum: IMAGE_SOURCES })
  source: string;

  @ApiProperty({ type: 'string', nullable: true, example: 'cat.jpg' })
  filename: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  caption: string | null;

  @ApiProperty({ type: CaptionInfoDto, nullable: true, description: "The caption's model, checks and score" })
  captionInfo: CaptionInfoDto | null;

  @ApiProperty({ example: '2026-01-01T00:00:00.000Z' })
  createdAt: string;
}

export function toImageDto(r: ImageRecord): ImageDto {
  const { tenant: _tenant, ...rest } = r;
  return rest;
}

export class NearDuplicateDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'Hamming distance between the perceptual hashes (0–64)', example: 3 })
  distance: number;
}

export class IngestResultDto {
  @ApiProperty({ type: ImageDto })
  image: ImageDto;

  @ApiProperty({ description: 'false: the same bytes were already stored (see duplicateOf)' })
  created: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: "The existing image's id, for an exact duplicate" })
  duplicateOf?: string;

  @ApiProperty({ type: [NearDuplicateDto], description: 'Perceptually similar images of the tenant, nearest first' })
  nearDuplicates: NearDuplicateDto[];
}

export class IngestResponseDto {
  @ApiProperty({ type: [IngestResultDto], description: 'One entry per uploaded image, in upload order' })
  items: IngestResultDto[];
}

export class ImageListDto {
  @ApiProperty({ type: [ImageDto] })
  items: ImageDto[];

  @ApiProperty({ example: 42 })
  total: number;

  @ApiProperty({ example: 0 })
  offset: number;

  @ApiProperty({ example: 20 })
  limit: number;
}

export class SimilarImageDto {
  @ApiProperty({ type: ImageDto })
  image: ImageDto;

  @ApiProperty({ description: 'Hamming distance between the perceptual hashes (0–64)', example: 4 })
  distance: number;
}

export class SimilarImagesDto {
  @ApiProperty({ type: [SimilarImageDto] })
  items: SimilarImageDto[];

  @ApiProperty({ description: 'The distance threshold applied', example: 10 })
  maxDistance: number;
}
