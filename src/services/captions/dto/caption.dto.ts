import { ApiProperty } from '@nestjs/swagger';
import { CaptionInfoDto } from '../../images';

/** A caption as answered by `POST /v1/images/:id/captions` (also stored on the image). */
export class CaptionDto extends CaptionInfoDto {
  @ApiProperty({ format: 'uuid' })
  imageId: string;

  @ApiProperty({ example: 'A bright wide picture dominated by blue tones, with simple shapes over a smooth gradient.' })
  caption: string;
}
