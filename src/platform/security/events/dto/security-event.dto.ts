import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SECURITY_EVENT_TYPES, type SecurityEventType } from '../security-event';

export class SecurityEventDto {
  @ApiProperty({ enum: SECURITY_EVENT_TYPES, example: 'auth.invalid' })
  type: SecurityEventType;

  @ApiProperty({ example: '/v1/rag/search', description: 'Route template (`<unmatched>` if none)' })
  route: string;

  @ApiProperty({ example: 'POST' })
  method: string;

  @ApiProperty({ example: 'ip:203.0.113.7', description: 'key:<id>, jwt:<tenant>/<sub> or ip:<address>' })
  client: string;

  @ApiPropertyOptional({ example: 'acme' })
  tenant?: string;

  @ApiProperty({ example: '6f1c2a9e-4b7d-4f0e-9a51-3c2d1e0f9b8a' })
  requestId: string;

  @ApiProperty({ example: '2026-11-22T04:00:00.000Z' })
  time: string;

  @ApiPropertyOptional({ example: 'body.query: sql-injection', description: 'Never contains the payload' })
  detail?: string;
}

export class SecurityEventPageDto {
  @ApiProperty({ type: [SecurityEventDto] })
  items: SecurityEventDto[];

  @ApiProperty({ example: 0 })
  offset: number;

  @ApiProperty({ example: 50 })
  limit: number;
}
