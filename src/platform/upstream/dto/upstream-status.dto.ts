import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UPSTREAM_STRATEGIES } from '../upstream.types';

export class UpstreamInstanceStatusDto {
  @ApiProperty({ example: '10.0.0.5:11434' })
  id: string;

  @ApiProperty({ example: 'http://10.0.0.5:11434' })
  url: string;

  @ApiProperty()
  weight: number;

  @ApiProperty({ description: 'Not ejected and the circuit admits calls' })
  up: boolean;

  @ApiProperty({ enum: ['closed', 'open', 'half_open', 'isolated'] })
  breaker: string;

  @ApiProperty()
  ejected: boolean;

  @ApiPropertyOptional({ format: 'date-time' })
  ejectedUntil?: string;

  @ApiProperty({ description: 'Times ejected (drives the growing ejection time)' })
  ejections: number;

  @ApiProperty({ description: 'Calls in flight' })
  outstanding: number;

  @ApiProperty()
  consecutiveFailures: number;

  @ApiProperty({ description: 'EWMA of recent failures, 0..1' })
  errorScore: number;

  @ApiProperty({ description: 'Calls in the breaker window' })
  windowCalls: number;

  @ApiProperty()
  failureRate: number;

  @ApiProperty()
  slowCallRate: number;
}

export class UpstreamPoolStatusDto {
  @ApiProperty({ example: 'ollama' })
  name: string;

  @ApiProperty({ enum: UPSTREAM_STRATEGIES })
  strategy: string;

  @ApiProperty()
  up: number;

  @ApiProperty()
  total: number;

  @ApiProperty({ type: [UpstreamInstanceStatusDto] })
  instances: UpstreamInstanceStatusDto[];
}

export class UpstreamsStatusDto {
  @ApiProperty({ type: [UpstreamPoolStatusDto] })
  pools: UpstreamPoolStatusDto[];
}
