import { Inject, Injectable } from '@nestjs/common';
import { constants } from 'node:fs';
import { access, mkdir, statfs, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { appConfig, type AppConfig } from '../config/app.config';
import { ManagedService } from '../registry/managed-service.decorator';
import type { ManagedLifecycle, ServiceHealthReport } from '../registry/managed-service.types';
import { storageConfig, type StorageConfig } from './storage.config';

/**
 * The data directory (`DATA_DIR`): created if missing and proven writable at start, so services
 * that keep files there can depend on `data-dir` and assume it works. Health reports free space.
 */
@ManagedService({
  name: 'data-dir',
  description: 'The DATA_DIR directory exists and is writable',
  startTimeoutMs: 5_000,
  stopTimeoutMs: 1_000,
})
@Injectable()
export class DataDirService implements ManagedLifecycle {
  /** Absolute path of the data directory. */
  readonly path: string;

  constructor(
    @Inject(appConfig.KEY) app: AppConfig,
    @Inject(storageConfig.KEY) private readonly config: StorageConfig,
  ) {
    this.path = resolve(app.dataDir);
  }

  async start(): Promise<void> {
    await mkdir(this.path, { recursive: true });
    // access(W_OK) can pass where a write fails (read-only mounts, quotas): write for real.
    const probe = join(this.path, `.fennec-write-probe-${process.pid}`);
    await writeFile(probe, 'ok');
    await unlink(probe);
  }

  async checkHealth(): Promise<ServiceHealthReport> {
    try {
      await access(this.path, constants.W_OK);
    } catch {
      return { status: 'DOWN', reason: 'data directory is not writable' };
    }
    const fs = await statfs(this.path);
    const freeBytes = fs.bavail * fs.bsize;
    const details = {
      path: this.path,
      freeBytes,
      totalBytes: fs.blocks * fs.bsize,
      minFreeBytes: this.config.minFreeBytes,
    };
    if (freeBytes < this.config.minFreeBytes)
      return { status: 'DEGRADED', reason: 'free space is below DATA_DIR_MIN_FREE_MB', details };
    return { status: 'UP', details };
  }
}
