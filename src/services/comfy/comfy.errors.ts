import { FennecError, type FieldError } from '../../platform/errors';
import type { WorkflowIssue } from './workflow/workflow-validator';

/** The comfy service is not running, or no ComfyUI server is configured (COMFY_URLS). */
export class ComfyUnavailableError extends FennecError {
  readonly code = 'COMFY.UNAVAILABLE';
  readonly kind = 'unavailable';
}

/** Field errors naming node, class and input: `workflow.<node>.inputs.<input>`. */
export function issueFields(issues: WorkflowIssue[]): FieldError[] {
  return issues.map((i) => ({
    field: i.node === '*' ? 'workflow' : `workflow.${i.node}${i.input === undefined ? '' : `.inputs.${i.input}`}`,
    message: `${i.message} [${i.type}]`,
  }));
}

/** The workflow does not validate against the server's node set (Fennec's check or ComfyUI's node_errors). */
export class ComfyInvalidWorkflowError extends FennecError {
  readonly code = 'COMFY.INVALID_WORKFLOW';
  readonly kind = 'invalid';
  constructor(
    message: string,
    readonly issues: WorkflowIssue[],
  ) {
    super(message, { fieldErrors: issueFields(issues) });
  }
}

/** Template parameters missing, of the wrong type or out of range. */
export class ComfyInvalidParamsError extends FennecError {
  readonly code = 'COMFY.INVALID_PARAMS';
  readonly kind = 'invalid';
}

/** A template definition that cannot be used (unknown node or input in its parameter map…). */
export class ComfyInvalidTemplateError extends FennecError {
  readonly code = 'COMFY.INVALID_TEMPLATE';
  readonly kind = 'invalid';
}

/** No template of this name (or version) for the caller's tenant, globally or built in. */
export class ComfyTemplateNotFoundError extends FennecError {
  readonly code = 'COMFY.TEMPLATE_NOT_FOUND';
  readonly kind = 'not_found';
}

/** Saving a global template, or overwriting a built-in one, needs the admin role. */
export class ComfyTemplateForbiddenError extends FennecError {
  readonly code = 'COMFY.TEMPLATE_FORBIDDEN';
  readonly kind = 'forbidden';
}

/** The server that accepted the prompt went away mid-job and the template is not idempotent. */
export class ComfyInstanceLostError extends FennecError {
  readonly code = 'COMFY.INSTANCE_LOST';
  readonly kind = 'unavailable';
}

/** ComfyUI reported `execution_error` for the prompt. */
export class ComfyExecutionError extends FennecError {
  readonly code = 'COMFY.EXECUTION_FAILED';
  readonly kind = 'bad_gateway';
}

/** ComfyUI interrupted the prompt without Fennec asking (someone pressed cancel in its UI). */
export class ComfyInterruptedError extends FennecError {
  readonly code = 'COMFY.INTERRUPTED';
  readonly kind = 'conflict';
}

/** ComfyUI answered something Fennec cannot use (malformed JSON, an unexpected status). */
export class ComfyBadResponseError extends FennecError {
  readonly code = 'COMFY.BAD_RESPONSE';
  readonly kind = 'bad_gateway';
}

/** An input image id that the tenant's image store does not hold. */
export class ComfyInputImageNotFoundError extends FennecError {
  readonly code = 'COMFY.INPUT_IMAGE_NOT_FOUND';
  readonly kind = 'invalid';
}
