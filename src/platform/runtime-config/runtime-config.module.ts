import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { appConfig, type AppConfig } from '../config/app.config';
import { STATE_STORE, type StateStore } from '../state/state-store';
import { CONFIG_PERSISTENCE, type ConfigPersistence } from './config-record';
import { FileConfigPersistence } from './file-config-persistence';
import { runtimeConfigEnv } from './runtime-config.config';
import { RuntimeConfigController } from './runtime-config.controller';
import { RuntimeConfigService } from './runtime-config.service';
import { ServiceConfig } from './service-config';
import { StateConfigPersistence } from './state-config-persistence';

/** Versions live in Redis when state is shared, otherwise in a JSON file in DATA_DIR. */
function createPersistence(store: StateStore, app: AppConfig): ConfigPersistence {
  return store.backend === 'redis' ? new StateConfigPersistence(store) : FileConfigPersistence.inDataDir(app.dataDir);
}

/** Runtime per-service configuration: `RuntimeConfigService`, `ServiceConfig` and the `/config` API. */
@Global()
@Module({
  imports: [DiscoveryModule, ConfigModule.forFeature(runtimeConfigEnv)],
  controllers: [RuntimeConfigController],
  providers: [
    { provide: CONFIG_PERSISTENCE, inject: [STATE_STORE, appConfig.KEY], useFactory: createPersistence },
    RuntimeConfigService,
    ServiceConfig,
  ],
  exports: [RuntimeConfigService, ServiceConfig],
})
export class RuntimeConfigModule {}
