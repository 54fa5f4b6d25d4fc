import { ApiProperty } from '@nestjs/swagger';

export class LatencyPercentilesDto {
  @ApiProperty({ type: Number, nullable: true }) p50: number | null;
  @ApiProperty({ type: Number, nullable: true }) p95: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99: number | null;
}

export class AvailabilityDto {
  @ApiProperty({ type: Number, nullable: true, description: 'UP or DEGRADED fraction of the checks, 0..1' })
  last5m: number | null;
  @ApiProperty({ type: Number, nullable: true }) last1h: number | null;
}

export class ServiceMetricsDto {
  @ApiProperty() service: string;
  @ApiProperty({ description: 'Checks executed since start (cache hits excluded)' }) checks: number;
  @ApiProperty({ description: 'Checks that were DOWN (including timeouts)' }) failures: number;
  @ApiProperty({ type: LatencyPercentilesDto, description: 'Check latency in ms over the history buffer' })
  latencyMs: LatencyPercentilesDto;
  @ApiProperty({ type: AvailabilityDto }) availability: AvailabilityDto;
  @ApiProperty({ type: Number, nullable: true, description: 'Failed fraction of the checks in the last 5 minutes' })
  failureRate5m: number | null;
  @ApiProperty({ description: 'Samples held in the history buffer' }) samples: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastCheckAt: string | null;
}

export class HealthMetricsDto {
  @ApiProperty({ type: [ServiceMetricsDto] }) services: ServiceMetricsDto[];
  @ApiProperty({ description: 'Automation rule firings since start (re-firings included; trend alerts not)' })
  ruleFirings: number;
  @ApiProperty({ description: 'Predictive trend alert firings since start' }) trendFirings: number;
}
