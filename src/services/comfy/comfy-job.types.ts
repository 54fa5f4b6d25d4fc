import type { ApiWorkflow } from './comfy.types';
import type { ImageInput } from './templates/comfy-template';

export const COMFY_JOB_KIND = 'comfy.workflow';

/** What a comfy job carries: the validated API-format graph and the image-store ids to upload. */
export interface ComfyJobPayload {
  workflow: ApiWorkflow;
  images: ImageInput[];
  template?: { name: string; version: number; scope: string };
  /** Resubmit to another server when the one running it dies (the template says it is safe). */
  idempotent: boolean;
}

/** One output image, as stored in the tenant's image store. */
export interface ComfyJobImage {
  id: string;
  /** False when the same bytes were already stored (exact duplicate): `id` is the existing image. */
  created: boolean;
  /** Stored images within the perceptual-hash distance of this one. */
  nearDuplicates: { id: string; distance: number }[];
  node: string;
  filename: string;
  width: number;
  height: number;
}

/** A comfy job's result: references to the stored images, never the bytes. */
export interface ComfyJobResult {
  promptId: string;
  /** The server that ran it. */
  instance: string;
  /** Prompts sent (more than 1 when an idempotent template moved to another server). */
  submissions: number;
  template?: { name: string; version: number; scope: string };
  images: ComfyJobImage[];
}
