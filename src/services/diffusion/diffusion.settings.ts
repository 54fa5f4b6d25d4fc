import { ArrayMaxSize, IsArray, IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';

/**
 * Runtime configuration of the `diffusion` service (`GET/PATCH /config/diffusion`), shared by
 * every instance. E.g. `PATCH /config/diffusion {"allowedModels":["dreamshaper_8"]}`.
 */
export class DiffusionSettings {
  /** Checkpoints callers may use (model name, title or short hash); empty: any the instances have. */
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  allowedModels: string[] = [];

  /** Checkpoint used when a request names none; empty: the instance's loaded one. */
  @IsString()
  @MaxLength(300)
  defaultModel: string = '';

  @IsString()
  @MaxLength(100)
  defaultSampler: string = 'Euler a';

  @IsInt()
  @Min(1)
  @Max(1000)
  defaultSteps: number = 20;

  /** Steps for OpenAI's `quality` values `low`, `medium` and `high` (`standard` = medium, `hd` = high). */
  @IsArray()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(1000, { each: true })
  qualitySteps: number[] = [12, 20, 40];

  /** Default `response_format` of `POST /v1/images/generations` (OpenAI's DALL·E default: url). */
  @IsIn(['url', 'b64_json'])
  defaultResponseFormat: 'url' | 'b64_json' = 'b64_json';
}
