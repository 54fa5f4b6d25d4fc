import type { ApiWorkflow, InputSpec, NodeInfo, ObjectInfo } from '../comfy.types';

/** One problem with one node of a workflow, named as a caller can find it in the editor. */
export interface WorkflowIssue {
  /** Node id (a key of the API-format graph); `*` for the workflow as a whole. */
  node: string;
  classType?: string;
  input?: string;
  /** ComfyUI's error type where one exists (`required_input_missing`, `value_not_in_list`…). */
  type: string;
  message: string;
}

/** The values an enum ("COMBO") input offers, or undefined when the input is not an enum. */
export function enumValues(spec: InputSpec): unknown[] | undefined {
  const [type, options] = spec;
  if (Array.isArray(type)) return type;
  if (type === 'COMBO' && Array.isArray(options?.options)) return options.options as unknown[];
  return undefined;
}

/** A link in API format: `[node id, slot]` (ComfyUI accepts a numeric id too). */
export function isLink(value: unknown): value is [string | number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === 'string' || typeof value[0] === 'number') &&
    Number.isInteger(value[1])
  );
}

/** execution.py `validate_node_input`: `*` matches anything, types may be comma-separated unions. */
function typesMatch(received: string, wanted: string): boolean {
  if (received === '*' || wanted === '*' || received === wanted) return true;
  const a = received.split(',').map((s) => s.trim());
  const b = new Set(wanted.split(',').map((s) => s.trim()));
  return a.some((t) => b.has(t));
}

function specOf(info: NodeInfo, name: string): { spec: InputSpec; required: boolean } | undefined {
  const req = info.input.required?.[name];
  if (req) return { spec: req, required: true };
  const opt = info.input.optional?.[name];
  return opt ? { spec: opt, required: false } : undefined;
}

/**
 * Checks an API-format workflow against a server's `object_info` the way ComfyUI's own
 * `validate_prompt` does, before it is sent: every class exists, required inputs are present,
 * links point at existing nodes and at output slots of the right type, enum values are offered,
 * numbers are within their min and max, and some node is an output. Returns every issue found
 * (ComfyUI stops at the first missing class; listing all of them saves the caller round trips).
 */
export function validateWorkflow(workflow: ApiWorkflow, objectInfo: ObjectInfo): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const ids = Object.keys(workflow);
  if (ids.length === 0) return [{ node: '*', type: 'invalid_prompt', message: 'The workflow has no nodes' }];
  let outputs = 0;
  for (const id of ids) {
    const node = workflow[id];
    if (typeof node !== 'object' || node === null || typeof node.class_type !== 'string') {
      issues.push({ node: id, type: 'invalid_prompt', message: `Node ${id} has no class_type` });
      continue;
    }
    const info = objectInfo[node.class_type];
    if (info === undefined) {
      issues.push({
        node: id,
        classType: node.class_type,
        type: 'invalid_prompt',
        message: `Node ${id}: class ${node.class_type} does not exist on the server`,
      });
      continue;
    }
    if (info.output_node) outputs++;
    const inputs = typeof node.inputs === 'object' && node.inputs !== null ? node.inputs : {};
    const at = (input: string, type: string, message: string) =>
      issues.push({
        node: id,
        classType: node.class_type,
        input,
        type,
        message: `Node ${id} (${node.class_type}) input ${input}: ${message}`,
      });
    for (const name of Object.keys(info.input.required ?? {})) {
      if (!(name in inputs)) at(name, 'required_input_missing', 'required input is missing');
    }
    for (const [name, value] of Object.entries(inputs)) {
      const found = specOf(info, name);
      if (found === undefined) continue; // ComfyUI ignores unknown inputs too
      if (isLink(value)) checkLink(workflow, objectInfo, found.spec, value, (type, msg) => at(name, type, msg));
      else if (Array.isArray(value)) at(name, 'bad_linked_input', 'a link must be [node_id, slot_index]');
      else checkValue(found.spec, value, (type, msg) => at(name, type, msg));
    }
  }
  if (outputs === 0 && issues.length === 0) {
    issues.push({ node: '*', type: 'prompt_no_outputs', message: 'The workflow has no output node (e.g. SaveImage)' });
  }
  return issues;
}

function checkLink(
  workflow: ApiWorkflow,
  objectInfo: ObjectInfo,
  spec: InputSpec,
  [sourceId, slot]: [string | number, number],
  fail: (type: string, message: string) => void,
): void {
  const source = workflow[String(sourceId)] as unknown;
  if (
    typeof source !== 'object' ||
    source === null ||
    typeof (source as { class_type?: unknown }).class_type !== 'string'
  ) {
    if (source !== undefined) return; // reported on the source node itself
    return fail('bad_linked_input', `links to node ${sourceId}, which does not exist`);
  }
  const sourceClass = (source as { class_type: string }).class_type;
  const sourceInfo = objectInfo[sourceClass];
  if (sourceInfo === undefined) return; // reported on the source node itself
  const received = sourceInfo.output[slot];
  if (received === undefined) {
    return fail(
      'bad_linked_input',
      `links to output ${slot} of node ${sourceId} (${sourceClass}), which has ${sourceInfo.output.length} output(s)`,
    );
  }
  const wanted = spec[0];
  if (typeof wanted === 'string' && wanted !== 'COMBO' && !typesMatch(received, wanted)) {
    fail(
      'return_type_mismatch',
      `wants ${wanted} but output ${slot} of node ${sourceId} (${sourceClass}) is ${received}`,
    );
  }
}

function checkValue(spec: InputSpec, value: unknown, fail: (type: string, message: string) => void): void {
  const [type, options = {}] = spec;
  const offered = enumValues(spec);
  if (offered !== undefined) {
    if (!offered.includes(value)) {
      const list = offered.length > 20 ? `${offered.length} values` : offered.map((v) => JSON.stringify(v)).join(', ');
      fail('value_not_in_list', `${JSON.stringify(value)} is not offered by the server (${list})`);
    }
    return;
  }
  if (type === 'INT' || type === 'FLOAT') {
    if (typeof value !== 'number' || !Number.isFinite(value) || (type === 'INT' && !Number.isInteger(value))) {
      return fail(
        'invalid_input_type',
        `wants ${type === 'INT' ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}`,
      );
    }
    const { min, max } = options as { min?: number; max?: number };
    if (typeof min === 'number' && value < min)
      fail('value_smaller_than_min', `${value} is smaller than the minimum ${min}`);
    if (typeof max === 'number' && value > max)
      fail('value_bigger_than_max', `${value} is bigger than the maximum ${max}`);
  } else if (type === 'STRING' && typeof value !== 'string') {
    fail('invalid_input_type', `wants a string, got ${JSON.stringify(value)}`);
  } else if (type === 'BOOLEAN' && typeof value !== 'boolean') {
    fail('invalid_input_type', `wants a boolean, got ${JSON.stringify(value)}`);
  }
}
