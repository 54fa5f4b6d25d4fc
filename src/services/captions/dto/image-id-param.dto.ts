import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class ImageIdParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id is not an image id (a UUID)' })
  id: string;
}
