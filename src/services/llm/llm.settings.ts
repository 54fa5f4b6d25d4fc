import { ArrayMaxSize, IsArray, ValidateBy } from 'class-validator';
import { isModelName } from './model-name';

/**
 * Runtime configuration of the `llm` service (`GET/PATCH /config/llm`), versioned and shared by
 * every instance. E.g. `PATCH /config/llm {"allowedModels":["llama3.2:3b","nomic-embed-text"]}`.
 */
export class LlmSettings {
  /** Models callers may use (a name without a tag means `:latest`); empty: any model Ollama has. */
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateBy(
    {
      name: 'isModelName',
      validator: {
        validate: isModelName,
        defaultMessage: () => 'each of allowedModels must be a model name like llama3.2:3b',
      },
    },
    { each: true },
  )
  allowedModels: string[] = [];
}
