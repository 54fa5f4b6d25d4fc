import { Injectable } from '@nestjs/common';
import { ErrorDialects } from '../../../platform/errors';
import { OLLAMA_ERROR_DIALECT } from '../ollama-compat/ollama-error.filter';
import { OPENAI_ERROR_DIALECT } from '../openai-compat/openai-error.filter';

/**
 * Registers the drop-in surfaces' error dialects with the platform, so errors raised before their
 * controllers' filters run (Express's path decoding, unknown routes under their prefixes) are
 * written as Ollama and OpenAI write them too.
 */
@Injectable()
export class CompatErrorDialects {
  // In the constructor, not onModuleInit: the OpenAPI document is built before the app is
  // initialised, and it reads the dialects to leave these surfaces' operations out of problem+json.
  constructor(dialects: ErrorDialects) {
    dialects.register(OLLAMA_ERROR_DIALECT);
    dialects.register(OPENAI_ERROR_DIALECT);
  }
}
