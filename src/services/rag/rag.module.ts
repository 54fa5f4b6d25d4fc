import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { join } from 'node:path';
import { DataDirService, StorageModule } from '../../platform/storage';
import { RagController } from './rag.controller';
import { RagReembedJob } from './rag-reembed.job';
import { ragConfig, type RagConfig } from './rag.config';
import { RagService } from './rag.service';
import { DOCUMENT_STORE, type DocumentStore } from './store/document-store';
import { EmbeddedDocumentStore } from './store/embedded-document-store';
import { PostgresDocumentStore } from './store/postgres-document-store';

/** PostgreSQL when DATABASE_URL is set (shared by every instance), else the embedded store in DATA_DIR. */
function createDocumentStore(config: RagConfig, dataDir: DataDirService): DocumentStore {
  if (config.databaseUrl)
    return new PostgresDocumentStore({ connectionString: config.databaseUrl, schema: config.databaseSchema });
  return new EmbeddedDocumentStore({
    dir: join(dataDir.path, 'rag'),
    fsync: config.fsync,
    snapshotEvery: config.snapshotEvery,
  });
}

/**
 * `/v1/rag/*`: documents and search. Vector search uses `LLM_CLIENT` (embeddings) when a global
 * LLM module provides it; without one, vector and hybrid searches run lexically.
 */
@Module({
  imports: [ConfigModule.forFeature(ragConfig), StorageModule],
  controllers: [RagController],
  providers: [
    { provide: DOCUMENT_STORE, inject: [ragConfig.KEY, DataDirService], useFactory: createDocumentStore },
    RagService,
    RagReembedJob,
  ],
  exports: [RagService, DOCUMENT_STORE],
})
export class RagModule {}
