import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNumber, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { SPEECH_FORMATS, type SpeechFormat } from '../audio/audio-formats';

/** `POST /v1/tts`: speech that is stored and can be fetched again. */
export class SynthesisRequestDto {
  /** The limit here is TTS_NATIVE_MAX_CHARS (checked by the service); this bound only stops abuse early. */
  @ApiProperty({ example: 'Fennec speaks. Every file is checked before it is stored.' })
  @IsString()
  @MinLength(1)
  @MaxLength(1_000_000)
  text: string;

  @ApiProperty({ example: 'alloy', description: 'An OpenAI voice name or a backend voice (GET /v1/audio/voices)' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  voice: string;

  @ApiPropertyOptional({ example: 'tts-1', default: 'tts-1' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ enum: SPEECH_FORMATS, description: 'Default: mp3 with ffmpeg, else wav' })
  @IsOptional()
  @IsIn(SPEECH_FORMATS)
  format?: SpeechFormat;

  @ApiPropertyOptional({ minimum: 0.25, maximum: 4, default: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0.25)
  @Max(4)
  speed?: number;
}
