import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from './platform/platform.module';
import type { PlatformOptions } from './platform/platform.options';
import { CaptionsModule } from './services/captions/captions.module';
import { ComfyModule } from './services/comfy/comfy.module';
import { DiffusionModule } from './services/diffusion/diffusion.module';
import { ImagesModule } from './services/images/images.module';
import { LlmModule } from './services/llm/llm.module';
import { ProjectionsModule } from './services/projections/projections.module';
import { RagModule } from './services/rag/rag.module';
import { SummarizationModule } from './services/summarization/summarization.module';
import { TtsModule } from './services/tts/tts.module';

/** The application: the platform core plus the service modules. */
@Module({})
export class AppModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(options),
        LlmModule,
        SummarizationModule,
        RagModule,
        ImagesModule,
        CaptionsModule,
        TtsModule,
        DiffusionModule,
        ComfyModule,
        ProjectionsModule,
      ],
    };
  }
}
