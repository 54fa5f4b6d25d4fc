import { Injectable } from '@nestjs/common';
import { ErrorDialects } from '../../platform/errors';
import { openAiError } from '../llm';

/**
 * `/v1/audio/*` is part of the OpenAI-compatible surface: errors raised before its routes' filter
 * runs (an unknown path under it, an undecodable parameter) are written as OpenAI writes them too,
 * and the OpenAPI document leaves these operations out of problem+json. Registered in the
 * constructor: the document is built before the app is initialised.
 */
@Injectable()
export class TtsErrorDialect {
  constructor(dialects: ErrorDialects) {
    dialects.register({ matches: (path) => path.startsWith('/v1/audio/'), body: openAiError });
  }
}
