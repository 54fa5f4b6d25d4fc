import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ImagesModule } from '../images';
import { CaptionsBatchJob } from './captions-batch.job';
import { captionsConfig } from './captions.config';
import { CaptionsController } from './captions.controller';
import { CaptionsService } from './captions.service';
import { ImageCaptionsController } from './image-captions.controller';

/**
 * `captions`: `POST /v1/images/:id/captions`, `POST /v1/captions/batch` (job `captions.batch`) and
 * `GET /v1/captions/export`. Uses the image store ({@link ImagesModule}) and, when the app has
 * it, the LLM gateway's `LLM_CLIENT` (a global module): without it caption requests answer 503.
 */
@Module({
  imports: [ConfigModule.forFeature(captionsConfig), ImagesModule],
  controllers: [ImageCaptionsController, CaptionsController],
  providers: [CaptionsService, CaptionsBatchJob],
})
export class CaptionsModule {}
