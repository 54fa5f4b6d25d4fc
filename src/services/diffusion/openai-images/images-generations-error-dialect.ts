import { Injectable } from '@nestjs/common';
import { ErrorDialects } from '../../../platform/errors';
import { openAiError } from '../../llm';

/** Path of the OpenAI-compatible image generation route. */
export const IMAGES_GENERATIONS_PATH = /^\/v1\/images\/generations\/?$/;

/**
 * `POST /v1/images/generations` is part of the OpenAI-compatible surface: errors raised before its
 * filter runs (an unparseable body, a throttled caller) are written as OpenAI writes them, and the
 * OpenAPI document leaves the operation out of problem+json. Registered in the constructor: the
 * document is built before the app is initialised.
 */
@Injectable()
export class ImagesGenerationsErrorDialect {
  constructor(dialects: ErrorDialects) {
    dialects.register({ matches: (path) => IMAGES_GENERATIONS_PATH.test(path), body: openAiError });
  }
}
