import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorSchema {
  @ApiProperty({ example: 'messages.0.role', description: 'Dotted path of the offending field' })
  field: string;

  @ApiProperty({ example: 'role must be one of: system, user, assistant, tool' })
  message: string;
}

/** RFC 9457 problem details: the body of every 4xx/5xx answer (`application/problem+json`). */
export class ProblemSchema {
  @ApiProperty({ example: 'urn:fennec:problem:validation.failed', description: 'Stable URN for the code' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'Request validation failed for: text', description: 'Human-readable explanation' })
  detail: string;

  @ApiProperty({ example: '/v1/summaries', description: 'Path of the request that failed' })
  instance: string;

  @ApiProperty({ example: 'VALIDATION.FAILED', description: 'Stable dotted error code; see docs/api.md' })
  code: string;

  @ApiProperty({ example: '6f1c2a9e-4b7d-4f0e-9a51-3c2d1e0f9b8a', description: 'Echo of x-request-id' })
  requestId: string;

  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'One entry per bad field (validation)' })
  errors?: FieldErrorSchema[];

  @ApiPropertyOptional({ example: 5, description: 'Seconds to wait before retrying (429, 503)' })
  retryAfter?: number;
}
