import type { ApiWorkflow, InputSpec, NodeInfo, ObjectInfo } from '../comfy.types';
import { enumValues, type WorkflowIssue } from './workflow-validator';

/** One node as the ComfyUI editor saves it (litegraph's serialisation). */
export interface UiNode {
  id: number | string;
  type: string;
  /** 0 always, 2 never (muted), 4 bypassed. */
  mode?: number;
  title?: string;
  inputs?: { name: string; type?: string; link: number | null; widget?: { name: string } }[];
  widgets_values?: unknown[] | Record<string, unknown>;
}

/** A workflow as the editor saves it: `nodes` and `links` (`[id, from, fromSlot, to, toSlot, type]`). */
export interface UiWorkflow {
  nodes: UiNode[];
  links: [number, number | string, number, number | string, number, string?][];
}

/** Values of the editor's "control after generate" widget, which follows seed inputs in `widgets_values`. */
const SEED_CONTROLS = new Set(['fixed', 'increment', 'decrement', 'randomize']);
/** Editor-only nodes that never reach the server. */
const UI_ONLY = new Set(['Note', 'MarkdownNote', 'Reroute', 'PrimitiveNode']);
const MUTED = 2;
const BYPASSED = 4;

/** Whether a value looks like a UI-format workflow rather than an API-format graph. */
export function isUiWorkflow(value: unknown): value is UiWorkflow {
  const v = value as Partial<UiWorkflow> | null;
  return typeof v === 'object' && v !== null && Array.isArray(v.nodes) && Array.isArray(v.links);
}

/** An input shown as a widget in the editor: a primitive or an enum, unless it is forced to be a socket. */
function isWidget(spec: InputSpec): boolean {
  if (spec[1]?.forceInput === true) return false;
  return enumValues(spec) !== undefined || ['INT', 'FLOAT', 'STRING', 'BOOLEAN'].includes(spec[0] as string);
}

function orderedInputs(info: NodeInfo): [string, InputSpec][] {
  const names = [
    ...(info.input_order?.required ?? Object.keys(info.input.required ?? {})),
    ...(info.input_order?.optional ?? Object.keys(info.input.optional ?? {})),
  ];
  return names.flatMap((n) => {
    const spec = info.input.required?.[n] ?? info.input.optional?.[n];
    return spec ? [[n, spec] as [string, InputSpec]] : [];
  });
}

/**
 * Converts an editor workflow (`nodes` + `links`) to the API format `POST /prompt` takes.
 * `widgets_values` is positional: it holds one value per widget input in the order `object_info`
 * lists the inputs (`input_order`, required then optional), plus the editor's "control after
 * generate" value after a seed; inputs driven by a link keep their stale widget value there, so
 * it is consumed and the link wins. Links through Reroute nodes are followed to their source;
 * muted nodes are left out; bypassed nodes and PrimitiveNode are reported, not guessed at.
 * ComfyUI itself converts only in the browser; this is the same mapping, server-side.
 */
export function uiToApi(ui: UiWorkflow, objectInfo: ObjectInfo): { workflow: ApiWorkflow; issues: WorkflowIssue[] } {
  const issues: WorkflowIssue[] = [];
  // Saved files come from anywhere: drop what is not shaped like a node or a link, naming it.
  const goodNodes: UiNode[] = [];
  ui.nodes.forEach((n, i) => {
    const ok =
      typeof n === 'object' &&
      n !== null &&
      (typeof n.id === 'number' || typeof n.id === 'string') &&
      typeof n.type === 'string' &&
      (n.inputs === undefined ||
        (Array.isArray(n.inputs) && n.inputs.every((x) => typeof x === 'object' && x !== null)));
    if (ok) goodNodes.push(n);
    else
      issues.push({
        node: `nodes[${i}]`,
        type: 'invalid_prompt',
        message: `nodes[${i}] is not a node (id, type, inputs[])`,
      });
  });
  const goodLinks = ui.links.filter(
    (l) => Array.isArray(l) && l.length >= 5 && typeof l[0] === 'number' && Number.isInteger(l[2]),
  );
  if (goodLinks.length !== ui.links.length) {
    issues.push({
      node: '*',
      type: 'invalid_prompt',
      message: 'links must be [id, from, fromSlot, to, toSlot, type] arrays',
    });
  }
  const nodes = new Map(goodNodes.map((n) => [String(n.id), n]));
  const links = new Map(goodLinks.map((l) => [l[0], { from: String(l[1]), slot: l[2] }]));
  const resolve = (linkId: number, seen = new Set<number>()): [string, number] | undefined => {
    const link = links.get(linkId);
    if (link === undefined || seen.has(linkId)) return undefined;
    const source = nodes.get(link.from);
    if (source?.type === 'Reroute') {
      const next = source.inputs?.[0]?.link;
      return typeof next === 'number' ? resolve(next, seen.add(linkId)) : undefined;
    }
    if (source?.mode === MUTED) return undefined;
    return [link.from, link.slot];
  };
  const workflow: ApiWorkflow = {};
  for (const node of goodNodes) {
    const id = String(node.id);
    if (node.mode === MUTED || node.type === 'Note' || node.type === 'MarkdownNote' || node.type === 'Reroute')
      continue;
    if (node.mode === BYPASSED || UI_ONLY.has(node.type)) {
      const why = node.mode === BYPASSED ? 'is bypassed' : `is a ${node.type}`;
      issues.push({
        node: id,
        classType: node.type,
        type: 'unsupported_ui_node',
        message: `Node ${id} (${node.type}) ${why}: un-bypass it or replace it before saving`,
      });
      continue;
    }
    const info = objectInfo[node.type];
    if (info === undefined) {
      issues.push({
        node: id,
        classType: node.type,
        type: 'invalid_prompt',
        message: `Node ${id}: class ${node.type} does not exist on the server`,
      });
      continue;
    }
    const inputs: Record<string, unknown> = {};
    const values = typeof node.widgets_values === 'object' && node.widgets_values !== null ? node.widgets_values : [];
    if (Array.isArray(values)) {
      let i = 0;
      for (const [name, spec] of orderedInputs(info)) {
        if (!isWidget(spec) || i >= values.length) continue;
        inputs[name] = values[i++];
        if (spec[0] === 'INT' && typeof values[i] === 'string' && SEED_CONTROLS.has(values[i] as string)) i++;
      }
    } else {
      for (const [name, spec] of orderedInputs(info)) if (isWidget(spec) && name in values) inputs[name] = values[name];
    }
    for (const input of node.inputs ?? []) {
      if (input.link === null || input.link === undefined) continue;
      const source = resolve(input.link);
      if (source === undefined) {
        issues.push({
          node: id,
          classType: node.type,
          input: input.name,
          type: 'bad_linked_input',
          message: `Node ${id} (${node.type}) input ${input.name}: link ${input.link} leads to no node`,
        });
        continue;
      }
      inputs[input.widget?.name ?? input.name] = source;
    }
    workflow[id] = { class_type: node.type, inputs, ...(node.title ? { _meta: { title: node.title } } : {}) };
  }
  return { workflow, issues };
}
