import { ArrayMaxSize, IsArray, IsBoolean, IsString, Matches } from 'class-validator';

const MODEL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._\-/]*(:[a-zA-Z0-9._-]+)?$/;

/**
 * Runtime configuration of the `captions` service (`GET/PATCH /config/captions`), versioned and
 * shared by every instance. E.g. `PATCH /config/captions {"defaultModel":"qwen2.5vl:7b"}`.
 */
export class CaptionsSettings {
  /** Vision model used when a request names none. */
  @IsString()
  @Matches(MODEL_NAME, { message: 'defaultModel must be a model name like llava:7b' })
  defaultModel: string = 'llava:7b';

  /** Vision models a request may name (a name without a tag means `:latest`); empty: any the LLM gateway allows. */
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(MODEL_NAME, { each: true, message: 'each of models must be a model name like llava:7b' })
  models: string[] = [];

  /** Retry a caption that fails its checks once, with a stricter prompt, before returning it flagged. */
  @IsBoolean()
  retryStricter: boolean = true;
}
