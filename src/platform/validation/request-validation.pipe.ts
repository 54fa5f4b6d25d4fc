import { type ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { validationExceptionFactory } from '../errors';
import { jsonObjectBody } from '../http';
import { installValidationMetadataCache } from './validation-metadata-cache';

/**
 * The global pipe: class-validator DTOs (whitelisted, unknown fields refused, transformed), and
 * before that, for `@Body()`, the body itself: a body the parser could not use answers its own
 * error (malformed, too deep, too large), one not sent as JSON answers 415, and one that is JSON
 * but not an object (`null`, an array, a number) says so; no DTO transformation runs on any of
 * them. No body at all validates as `{}`: routes whose fields are all optional take none, and the
 * others name their missing fields.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    installValidationMetadataCache();
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      exceptionFactory: validationExceptionFactory,
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' || metadata.data !== undefined) return super.transform(value, metadata);
    return this.transformBody(value, metadata);
  }

  /** Async so that every refusal is a rejected promise, as from `super.transform`. */
  private async transformBody(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    return super.transform(jsonObjectBody(value) ?? {}, metadata);
  }
}
