import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** A stored speech file: what was asked, what was produced, and how it measured. */
export class SynthesisDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'mp3' })
  format: string;

  @ApiProperty({ example: 'audio/mpeg' })
  contentType: string;

  @ApiProperty({ example: 4.21 })
  durationSeconds: number;

  @ApiProperty({ example: 22050 })
  sampleRate: number;

  @ApiProperty({ example: 18432 })
  bytes: number;

  @ApiProperty({ example: 'tts-1' })
  model: string;

  @ApiProperty({ example: 'espeak' })
  backend: string;

  @ApiProperty({ example: 'en-us', description: 'The backend voice used' })
  voice: string;

  @ApiProperty({ example: 'alloy', description: 'The voice asked for' })
  requestedVoice: string;

  @ApiProperty({
    description:
      'Measured from the samples: durationSeconds, expectedSeconds, durationRatio, rmsDbfs, peakDbfs, clippingRatio, silenceRatio, leading/trailingSilenceSeconds, flags (silent, clipped, duration_mismatch)',
  })
  quality: Record<string, unknown>;

  @ApiProperty({ example: '/v1/tts/0b7e…/audio' })
  audioUrl: string;

  @ApiProperty()
  createdAt: string;
}

export class SynthesisIdParamDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id: string;
}
