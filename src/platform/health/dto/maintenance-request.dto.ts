import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class MaintenanceRequestDto {
  @ApiPropertyOptional({
    example: 'disk replacement',
    description: 'Shown in the health reason; default "maintenance"',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}
