import { ApiProperty } from '@nestjs/swagger';

/** Terminus' health report: `status` overall, one entry per indicator in `details`. */
export class HealthResultSchema {
  @ApiProperty({ enum: ['ok', 'degraded', 'error', 'shutting_down'], example: 'ok' })
  status: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Indicators that are up' })
  info: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Indicators that are down' })
  error: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Every indicator' })
  details: Record<string, unknown>;
}
