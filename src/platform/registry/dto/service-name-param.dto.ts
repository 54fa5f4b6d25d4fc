import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class ServiceNameParamDto {
  @ApiProperty({ example: 'data-dir', description: 'A managed service name' })
  @IsString()
  @MaxLength(100)
  name: string;
}
