import type { ObjectInfo } from '../comfy.types';
import { isUiWorkflow, uiToApi, type UiWorkflow } from './ui-workflow';

const INFO: ObjectInfo = {
  Loader: { name: 'Loader', input: { required: { ckpt: [['a.safetensors']] } }, output: ['MODEL'] },
  Sampler: {
    name: 'Sampler',
    input: {
      required: {
        model: ['MODEL'],
        seed: ['INT', { control_after_generate: true }],
        steps: ['INT'],
        mode: [['fast', 'slow']],
      },
      optional: { strength: ['FLOAT'], noise: ['LATENT', { forceInput: true }] },
    },
    input_order: { required: ['model', 'seed', 'steps', 'mode'], optional: ['strength', 'noise'] },
    output: ['LATENT'],
  },
};

describe('uiToApi', () => {
  it('should map widgets_values by input order, skip the seed control value, and let links win over stale widget values', () => {
    const ui: UiWorkflow = {
      nodes: [
        { id: 1, type: 'Loader', widgets_values: ['a.safetensors'] },
        { id: 7, type: 'Reroute', inputs: [{ name: '', link: 1 }] },
        {
          id: 2,
          type: 'Sampler',
          title: 'main',
          inputs: [
            { name: 'model', link: 2 },
            { name: 'steps', link: null, widget: { name: 'steps' } },
          ],
          widgets_values: [123, 'fixed', 30, 'slow', 0.5],
        },
        { id: 3, type: 'Sampler', mode: 2, widgets_values: [] },
        { id: 4, type: 'Note', widgets_values: ['hello'] },
      ],
      links: [
        [1, 1, 0, 7, 0, 'MODEL'],
        [2, 7, 0, 2, 0, 'MODEL'],
      ],
    };
    expect(isUiWorkflow(ui)).toBe(true);
    const { workflow, issues } = uiToApi(ui, INFO);
    expect(issues).toEqual([]);
    expect(workflow).toEqual({
      '1': { class_type: 'Loader', inputs: { ckpt: 'a.safetensors' } },
      '2': {
        class_type: 'Sampler',
        inputs: { model: ['1', 0], seed: 123, steps: 30, mode: 'slow', strength: 0.5 },
        _meta: { title: 'main' },
      },
    });
  });

  it('should report bypassed nodes, unknown classes and dangling links by node', () => {
    const { issues } = uiToApi(
      {
        nodes: [
          { id: 1, type: 'Loader', mode: 4, widgets_values: ['a.safetensors'] },
          { id: 2, type: 'Mystery' },
          { id: 3, type: 'Sampler', inputs: [{ name: 'model', link: 99 }], widgets_values: [1, 2, 'fast'] },
        ],
        links: [],
      },
      INFO,
    );
    expect(issues.map((i) => `${i.node}/${i.type}`)).toEqual([
      '1/unsupported_ui_node',
      '2/invalid_prompt',
      '3/bad_linked_input',
    ]);
    expect(isUiWorkflow({ '1': { class_type: 'Loader', inputs: {} } })).toBe(false);
  });

  it('should report malformed saved files by position instead of throwing', () => {
    const ui = {
      nodes: [null, 5, { id: 1, type: 'Loader', widgets_values: 'x' }, { id: 2, type: 'Sampler', inputs: [null] }],
      links: [null, [1], 'x'],
    } as unknown as UiWorkflow;
    const { workflow, issues } = uiToApi(ui, INFO);
    expect(issues.map((i) => i.node)).toEqual(['nodes[0]', 'nodes[1]', 'nodes[3]', '*']);
    expect(workflow['1']).toEqual({ class_type: 'Loader', inputs: {} });
  });
});
