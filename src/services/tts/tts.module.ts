import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { StorageModule } from '../../platform/storage';
import { TtsErrorDialect } from './tts-error-dialect';
import { TtsNativeController } from './tts-native.controller';
import { TtsSynthesisJob } from './tts-synthesis.job';
import { TtsController } from './tts.controller';
import { ttsConfig } from './tts.config';
import { TtsService } from './tts.service';

/**
 * Text to speech (`tts`): the OpenAI-compatible `POST /v1/audio/speech` and `GET /v1/audio/voices`
 * over OpenAI-compatible speech servers, Piper and the local espeak-ng (see TTS_* config), and
 * the native `POST /v1/tts` that stores checked audio per tenant (`GET /v1/tts/:id/audio`), long
 * text as the `tts.synthesis` job.
 */
@Module({
  imports: [ConfigModule.forFeature(ttsConfig), StorageModule],
  controllers: [TtsController, TtsNativeController],
  providers: [TtsService, TtsErrorDialect, TtsSynthesisJob],
  exports: [TtsService],
})
export class TtsModule {}
