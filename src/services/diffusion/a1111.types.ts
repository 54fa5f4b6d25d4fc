/** What Fennec sends and reads of the AUTOMATIC1111 / Forge API (`modules/api/models.py`). */

/** Body of `POST /sdapi/v1/txt2img` and `/img2img` (the fields Fennec sets). */
export interface A1111GenerationRequest {
  prompt: string;
  negative_prompt: string;
  steps: number;
  cfg_scale: number;
  width: number;
  height: number;
  sampler_name: string;
  scheduler?: string;
  seed: number;
  batch_size: number;
  n_iter: number;
  /** `sd_model_checkpoint`: a per-request model; restored afterwards by default. */
  override_settings?: Record<string, unknown>;
  override_settings_restore_afterwards?: boolean;
  send_images: true;
  save_images: false;
  init_images?: string[];
  mask?: string;
  denoising_strength?: number;
}

export interface A1111GenerationResponse {
  /** Base64 images (PNG by default `samples_format`). */
  images: string[] | null;
  parameters: Record<string, unknown>;
  /** A JSON string: `all_seeds`, `sd_model_name`, `sd_model_hash`, … */
  info: string;
}

/** The parts of the `info` JSON string Fennec reads. */
export interface A1111Info {
  seed?: number;
  all_seeds?: number[];
  sd_model_name?: string;
  sd_model_hash?: string;
  sampler_name?: string;
  width?: number;
  height?: number;
}

export interface A1111Progress {
  progress: number;
  eta_relative: number;
  state: {
    interrupted?: boolean;
    skipped?: boolean;
    job?: string;
    job_count?: number;
    job_no?: number;
    sampling_step?: number;
    sampling_steps?: number;
  };
  current_image?: string | null;
  textinfo?: string | null;
}

export interface A1111Checkpoint {
  title: string;
  model_name: string;
  hash?: string | null;
  sha256?: string | null;
  filename?: string;
}

export interface A1111Sampler {
  name: string;
  aliases?: string[];
}

export interface A1111Scheduler {
  name: string;
  label?: string;
  aliases?: string[] | null;
}
