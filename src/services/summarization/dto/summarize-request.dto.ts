import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { SummaryOptionsDto } from './summary-options.dto';

export class SummarizeRequestDto extends SummaryOptionsDto {
  @ApiProperty({
    example: 'Solar capacity grew faster than any other source last year. …',
    description: 'Text to summarise (prose, transcript, code, markdown or a list)',
  })
  @IsString()
  @Matches(/\S/, { message: 'text must not be empty' })
  text: string;
}
