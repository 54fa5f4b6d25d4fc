import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class ServiceGraphQueryDto {
  @ApiPropertyOptional({
    enum: ['json', 'mermaid'],
    default: 'json',
    description: '`mermaid`: text/plain Mermaid flowchart',
  })
  @IsOptional()
  @IsIn(['json', 'mermaid'])
  format?: 'json' | 'mermaid';
}
