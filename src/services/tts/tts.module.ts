import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TtsController } from './tts.controller';
import { ttsConfig } from './tts.config';
import { TtsService } from './tts.service';

/**
 * Text to speech (`tts`): the OpenAI-compatible `POST /v1/audio/speech` and `GET /v1/audio/voices`
 * over OpenAI-compatible speech servers, Piper and the local espeak-ng (see TTS_* config).
 */
@Module({
  imports: [ConfigModule.forFeature(ttsConfig)],
  controllers: [TtsController],
  providers: [TtsService],
  exports: [TtsService],
})
export class TtsModule {}
