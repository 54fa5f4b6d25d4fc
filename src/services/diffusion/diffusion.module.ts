import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ImagesModule } from '../images';
import { DiffusionGenerationJob } from './diffusion-generation.job';
import { DiffusionSubmitter } from './diffusion-submitter';
import { diffusionConfig } from './diffusion.config';
import { DiffusionController } from './diffusion.controller';
import { DiffusionGateway } from './diffusion.service';
import { ImagesGenerationsController } from './openai-images/images-generations.controller';
import { ImagesGenerationsErrorDialect } from './openai-images/images-generations-error-dialect';

/**
 * The diffusion gateway (`diffusion`): `POST /v1/diffusion/jobs`, `GET /v1/diffusion/models` and
 * the OpenAI-compatible `POST /v1/images/generations`, over a pool of AUTOMATIC1111 / Forge
 * instances (DIFFUSION_URLS), one generation per instance at a time, as platform jobs whose
 * images go to the image store.
 */
@Module({
  imports: [ConfigModule.forFeature(diffusionConfig), ImagesModule],
  controllers: [DiffusionController, ImagesGenerationsController],
  providers: [DiffusionGateway, DiffusionGenerationJob, DiffusionSubmitter, ImagesGenerationsErrorDialect],
  exports: [DiffusionGateway],
})
export class DiffusionModule {}
