import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DataDirService } from './data-dir.service';
import { storageConfig } from './storage.config';

/** Local storage: the managed `data-dir` service. Global: services that keep files inject {@link DataDirService}. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(storageConfig)],
  providers: [DataDirService],
  exports: [DataDirService],
})
export class StorageModule {}
