import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class CrossingPredictionDto {
  @ApiProperty({ description: 'Fitted value now' }) fitted: number;
  @ApiProperty({ description: 'Least-squares slope per minute' }) slopePerMin: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Ms until the threshold is reached; 0 = already; null = not rising',
  })
  etaMs: number | null;
  @ApiProperty() threshold: number;
}

export class PredictedCrossingDto {
  @ApiProperty({ enum: ['latency', 'failureRate'] }) metric: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class ServiceTrendDto {
  @ApiProperty() service: string;
  @ApiProperty({ description: 'Samples the line was fitted over' }) samples: number;
  @ApiPropertyOptional({ type: CrossingPredictionDto, description: 'Check latency (ms)' })
  latency?: CrossingPredictionDto;
  @ApiPropertyOptional({ type: CrossingPredictionDto, description: 'EWMA failure rate (0..1)' })
  failureRate?: CrossingPredictionDto;
  @ApiProperty({ description: 'A crossing is predicted within the horizon' }) predicted: boolean;
  @ApiPropertyOptional({ type: PredictedCrossingDto }) crossing?: PredictedCrossingDto;
  @ApiProperty() alertActive: boolean;
  @ApiPropertyOptional({ format: 'date-time' }) firedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) clearedAt?: string;
}

export class HealthPredictiveDto {
  @ApiProperty({ example: 'least-squares', description: 'Least-squares slope over the newest samples' }) method: string;
  @ApiProperty() window: number;
  @ApiProperty() horizonMs: number;
  @ApiProperty({ type: [ServiceTrendDto] }) services: ServiceTrendDto[];
}
