/**
 * ComfyUI's wire formats, as its server.py and execution.py produce and read them (ComfyUI
 * 0.3.x, October 2025). Only the fields Fennec reads are typed; the rest pass through.
 */

/** A link in API format: `[source node id, output slot index]`. */
export type ApiLink = [string, number];

/** One node of an API-format graph (what `POST /prompt` takes as `prompt`). */
export interface ApiNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

/** An API-format graph: node id → node. */
export type ApiWorkflow = Record<string, ApiNode>;

/** One input's spec in `object_info`: `[type, options?]`; the type is a string or the offered values. */
export type InputSpec = [string | unknown[], Record<string, unknown>?];

/** One node class as `GET /object_info` describes it (server.py `node_info`). */
export interface NodeInfo {
  input: { required?: Record<string, InputSpec>; optional?: Record<string, InputSpec>; hidden?: unknown };
  input_order?: { required?: string[]; optional?: string[] };
  output: string[];
  output_name?: string[];
  name: string;
  display_name?: string;
  category?: string;
  output_node?: boolean;
}

export type ObjectInfo = Record<string, NodeInfo>;

/** ComfyUI's validation error (execution.py `validate_inputs` / `validate_prompt`). */
export interface ComfyError {
  type: string;
  message: string;
  details: string;
  extra_info?: { input_name?: string; [k: string]: unknown };
}

/** `node_errors` of a rejected prompt: node id → its errors. */
export type ComfyNodeErrors = Record<
  string,
  { errors: ComfyError[]; dependent_outputs?: string[]; class_type: string }
>;

/** `POST /prompt` answers. */
export interface PromptAccepted {
  prompt_id: string;
  number: number;
  node_errors: ComfyNodeErrors;
}
export interface PromptRejected {
  error: ComfyError;
  node_errors: ComfyNodeErrors;
}

/** An output file reference in `executed.output.images` and history outputs. */
export interface ComfyFileRef {
  filename: string;
  subfolder: string;
  type: string;
}

/** `GET /history/{id}` entry. */
export interface HistoryEntry {
  prompt: unknown[];
  outputs: Record<string, { images?: ComfyFileRef[]; [k: string]: unknown }>;
  status?: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
}

/** `GET /queue`: items are `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export interface QueueState {
  queue_running: unknown[][];
  queue_pending: unknown[][];
}

/** JSON messages on `/ws` (server.py `send_json`: `{ type, data }`). */
export type ComfyWsMessage =
  | { type: 'status'; data: { status: { exec_info: { queue_remaining: number } }; sid?: string } }
  | { type: 'execution_start'; data: { prompt_id: string; timestamp?: number } }
  | { type: 'execution_cached'; data: { prompt_id: string; nodes: string[] } }
  | { type: 'executing'; data: { prompt_id?: string; node: string | null; display_node?: string } }
  | { type: 'progress'; data: { prompt_id?: string; node?: string; value: number; max: number } }
  | { type: 'executed'; data: { prompt_id: string; node: string; output: { images?: ComfyFileRef[] } | null } }
  | { type: 'execution_success'; data: { prompt_id: string } }
  | {
      type: 'execution_error';
      data: {
        prompt_id: string;
        node_id: string;
        node_type: string;
        exception_message: string;
        exception_type: string;
      };
    }
  | { type: 'execution_interrupted'; data: { prompt_id: string; node_id: string; node_type: string } };

/** protocol.py `BinaryEventTypes`; binary frames start with the type as a big-endian uint32. */
export const BINARY_PREVIEW_IMAGE = 1;
/** A preview with a JSON metadata block (clients that announce `supports_preview_metadata`). */
export const BINARY_PREVIEW_IMAGE_WITH_METADATA = 4;
/** Image format numbers in a PREVIEW_IMAGE frame (server.py `send_image`). */
export const PREVIEW_FORMATS: Record<number, string> = { 1: 'image/jpeg', 2: 'image/png' };
