import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UPSTREAM_STRATEGIES } from '../upstream.types';

export class UpstreamInstanceStatusDto {
  @ApiProperty({ example: '10.0.0.5:11434' })
  id: string;

  @ApiProperty({ example: 'http://10.0.0.5:11434' })
  url: string;

  @ApiProperty()
  weight: number;

  @ApiProperty({
    description:
      'Not ejected, the circuit admits calls, and not failing its active probe (a real call that succeeded after a failed probe counts as up until the next probe)',
  })
  up: boolean;

  @ApiProperty({ enum: ['closed', 'open', 'half_open', 'isolated'] })
  breaker: string;

  @ApiProperty()
  ejected: boolean;

  @ApiPropertyOptional({ format: 'date-time' })
  ejectedUntil?: string;

  @ApiProperty({ description: 'Times ejected (drives the growing ejection time)' })
  ejections: number;

  @ApiProperty({
    enum: ['healthy', 'unhealthy', 'unknown'],
    description: "Last active-probe result reported by the pool's health checker; unknown until one reports",
  })
  probe: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the last probe result arrived' })
  probedAt?: string;

  @ApiPropertyOptional({ description: 'What the last probe found, e.g. why it failed', example: 'ECONNREFUSED' })
  probeDetail?: string;

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

  @ApiProperty({
    description:
      'Panic mode: no instance is up, yet some are held back only by a failed active probe, so calls go to them anyway',
  })
  panic: boolean;

  @ApiProperty({ type: [UpstreamInstanceStatusDto] })
  instances: UpstreamInstanceStatusDto[];
}

export class UpstreamsStatusDto {
  @ApiProperty({ type: [UpstreamPoolStatusDto] })
  pools: UpstreamPoolStatusDto[];
}
