export class DiffusionModelDto {
  /** What to send as `model`. */
  name: string;
  title: string;
  hash: string | null;
}

export class DiffusionSamplerDto {
  name: string;
  aliases: string[];
}

/** What the instances offer and the allow-list lets callers use. */
export class DiffusionModelsDto {
  models: DiffusionModelDto[];
  samplers: DiffusionSamplerDto[];
  schedulers: string[];
  /** Used when a request names no model; null: the instance's loaded checkpoint. */
  defaultModel: string | null;
  defaultSampler: string;
  /** Instances up / configured. */
  instances: { up: number; total: number };
}
