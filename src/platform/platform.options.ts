import type { DestinationStream } from 'pino';

/** Options for {@link PlatformModule.forRoot}. */
export interface PlatformOptions {
  /** Where JSON logs go instead of stdout (tests capture logs this way). */
  logStream?: DestinationStream;
}

export const PLATFORM_OPTIONS = Symbol('PLATFORM_OPTIONS');
