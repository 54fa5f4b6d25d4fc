import type { FieldError } from '../../../platform/errors';
import type { ApiWorkflow } from '../comfy.types';

export const PARAM_TYPES = ['string', 'integer', 'number', 'boolean', 'image'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** Where a parameter's value goes: one input of one node. */
export interface ParamTarget {
  node: string;
  input: string;
}

/**
 * One named parameter of a template. `image` parameters take the id of an image in the caller's
 * image store; it is uploaded to the server (`POST /upload/image`) and its name set on the input.
 */
export interface TemplateParam {
  type: ParamType;
  /** The inputs it sets (one parameter may feed several nodes, e.g. a seed). */
  targets: ParamTarget[];
  description?: string;
  /** Without a default, a required parameter must be given. */
  required?: boolean;
  default?: string | number | boolean;
  min?: number;
  max?: number;
  /** Allowed values (strings), on top of what the server offers for an enum input. */
  enum?: string[];
  /** Longest string value. */
  maxLength?: number;
}

/** A workflow with named parameters instead of node ids. */
export interface ComfyTemplate {
  name: string;
  description?: string;
  workflow: ApiWorkflow;
  params: Record<string, TemplateParam>;
  /**
   * Running it twice is harmless (no side effects beyond its outputs): when the server that
   * accepted it dies mid-job, the prompt is sent again to another server instead of failing.
   */
  idempotent?: boolean;
}

/** A stored template: the definition plus where it lives and its version. */
export interface StoredTemplate extends ComfyTemplate {
  /** `global`, or the tenant that owns it. */
  scope: string;
  version: number;
  builtIn: boolean;
  createdAt: string;
  createdBy: string;
}

/** Field errors in the template definition itself (targets that do not exist in its workflow…). */
export function templateProblems(t: ComfyTemplate): FieldError[] {
  const problems: FieldError[] = [];
  for (const [name, p] of Object.entries(t.params)) {
    if (!/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/.test(name)) {
      problems.push({
        field: `params.${name}`,
        message: 'parameter names are letters, digits and _, starting with a letter',
      });
    }
    p.targets.forEach((target, i) => {
      const node = t.workflow[target.node];
      if (node === undefined) {
        problems.push({ field: `params.${name}.targets.${i}`, message: `node ${target.node} is not in the workflow` });
      }
    });
    if (p.default !== undefined) {
      const bad = valueProblem(p, p.default);
      if (bad) problems.push({ field: `params.${name}.default`, message: bad });
    }
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) {
      problems.push({ field: `params.${name}`, message: 'min is greater than max' });
    }
  }
  return problems;
}

/** Why a value does not fit a parameter, or undefined. */
export function valueProblem(p: TemplateParam, value: unknown): string | undefined {
  switch (p.type) {
    case 'string':
    case 'image':
      if (typeof value !== 'string') return `must be a string${p.type === 'image' ? ' (an image id)' : ''}`;
      if (p.maxLength !== undefined && value.length > p.maxLength) return `must be at most ${p.maxLength} characters`;
      if (p.enum && !p.enum.includes(value)) return `must be one of ${p.enum.join(', ')}`;
      return undefined;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (p.type === 'integer' && !Number.isInteger(value)) return 'must be an integer';
      if (p.min !== undefined && value < p.min) return `must be at least ${p.min}`;
      if (p.max !== undefined && value > p.max) return `must be at most ${p.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    default:
      return 'has an unknown type';
  }
}

/** An image parameter's value, to upload before submitting. */
export interface ImageInput {
  imageId: string;
  targets: ParamTarget[];
}

/**
 * Fills a template's parameters into a copy of its workflow. Unknown, missing and ill-typed
 * parameters are all listed (`params.<name>`); image parameters are returned to be uploaded.
 */
export function applyParams(
  t: ComfyTemplate,
  params: Record<string, unknown>,
): { workflow: ApiWorkflow; images: ImageInput[]; problems: FieldError[] } {
  const workflow = structuredClone(t.workflow);
  const problems: FieldError[] = [];
  const images: ImageInput[] = [];
  for (const name of Object.keys(params)) {
    if (!(name in t.params)) {
      problems.push({
        field: `params.${name}`,
        message: `unknown parameter; ${t.name} takes ${Object.keys(t.params).join(', ')}`,
      });
    }
  }
  for (const [name, p] of Object.entries(t.params)) {
    const value = params[name] ?? p.default;
    if (value === undefined || value === null) {
      if (p.required) problems.push({ field: `params.${name}`, message: 'is required' });
      continue;
    }
    const bad = valueProblem(p, value);
    if (bad) {
      problems.push({ field: `params.${name}`, message: bad });
      continue;
    }
    if (p.type === 'image') {
      images.push({ imageId: value as string, targets: p.targets });
      continue;
    }
    for (const target of p.targets) {
      const node = workflow[target.node];
      if (node) node.inputs = { ...node.inputs, [target.input]: value };
    }
  }
  return { workflow, images, problems };
}

const PARAM_KEYS = new Set([
  'type',
  'targets',
  'description',
  'required',
  'default',
  'min',
  'max',
  'enum',
  'maxLength',
]);

/** Checks the shape of a parameter map sent by a caller (the DTO only knows it is an object). */
export function parseParams(raw: Record<string, unknown>): {
  params: Record<string, TemplateParam>;
  problems: FieldError[];
} {
  const params: Record<string, TemplateParam> = {};
  const problems: FieldError[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const at = (message: string, sub = '') => problems.push({ field: `params.${name}${sub}`, message });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      at('must be an object { type, targets, … }');
      continue;
    }
    const p = value as Record<string, unknown>;
    for (const key of Object.keys(p)) if (!PARAM_KEYS.has(key)) at(`unknown property ${key}`);
    if (!PARAM_TYPES.includes(p.type as ParamType)) at(`type must be one of ${PARAM_TYPES.join(', ')}`, '.type');
    const targets = p.targets;
    const goodTargets =
      Array.isArray(targets) &&
      targets.length > 0 &&
      targets.every(
        (t) =>
          typeof t === 'object' &&
          t !== null &&
          typeof (t as ParamTarget).node === 'string' &&
          typeof (t as ParamTarget).input === 'string',
      );
    if (!goodTargets) at('must be a non-empty list of { node, input } (strings)', '.targets');
    for (const key of ['min', 'max', 'maxLength'] as const) {
      if (p[key] !== undefined && (typeof p[key] !== 'number' || !Number.isFinite(p[key])))
        at('must be a number', `.${key}`);
    }
    if (p.required !== undefined && typeof p.required !== 'boolean') at('must be true or false', '.required');
    if (p.description !== undefined && typeof p.description !== 'string') at('must be a string', '.description');
    if (p.enum !== undefined && !(Array.isArray(p.enum) && p.enum.every((v) => typeof v === 'string'))) {
      at('must be a list of strings', '.enum');
    }
    if (p.default !== undefined && !['string', 'number', 'boolean'].includes(typeof p.default)) {
      at('must be a string, number or boolean', '.default');
    }
    params[name] = p as unknown as TemplateParam;
  }
  return { params, problems };
}
