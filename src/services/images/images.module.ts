import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { join } from 'node:path';
import { DataDirService, StorageModule } from '../../platform/storage';
import { ImageBatchJob } from './batch/image-batch.job';
import { ImageSignedUrlController } from './image-signed-url.controller';
import { ImageSignedUrls } from './image-signed-urls';
import { imageSignedUrlConfig } from './image-signed-urls.config';
import { IMAGE_STORE } from './image-store';
import { ImagesController } from './images.controller';
import { imagesConfig, type ImagesConfig } from './images.config';
import { ImagesService } from './images.service';
import { EmbeddedImageMetadataStore } from './store/embedded-image-metadata-store';
import { IMAGE_METADATA_STORE, type ImageMetadataStore } from './store/image-metadata-store';
import { PostgresImageMetadataStore } from './store/postgres-image-metadata-store';

/** PostgreSQL when DATABASE_URL is set (shared by every instance), else the embedded store in DATA_DIR. */
function createMetadataStore(config: ImagesConfig, dataDir: DataDirService): ImageMetadataStore {
  if (config.databaseUrl) {
    return new PostgresImageMetadataStore({ connectionString: config.databaseUrl, schema: config.databaseSchema });
  }
  return new EmbeddedImageMetadataStore({ dir: join(dataDir.path, 'images', 'metadata'), fsync: config.fsync });
}

/**
 * `/v1/images/*`: the image store and its processing. Exports {@link IMAGE_STORE} for services
 * that put generated images in it (ComfyUI, diffusion) or annotate them (captions).
 */
@Module({
  imports: [ConfigModule.forFeature(imagesConfig), ConfigModule.forFeature(imageSignedUrlConfig), StorageModule],
  // The signed-URL route first: its fixed `signed/` segment must win over `:id` routes.
  controllers: [ImageSignedUrlController, ImagesController],
  providers: [
    { provide: IMAGE_METADATA_STORE, inject: [imagesConfig.KEY, DataDirService], useFactory: createMetadataStore },
    ImagesService,
    { provide: IMAGE_STORE, useExisting: ImagesService },
    ImageBatchJob,
    ImageSignedUrls,
  ],
  exports: [IMAGE_STORE, ImagesService, ImageSignedUrls],
})
export class ImagesModule {}
