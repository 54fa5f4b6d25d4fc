import type { ObjectInfo } from '../comfy.types';
import { validateWorkflow } from './workflow-validator';

const INFO: ObjectInfo = {
  Loader: {
    name: 'Loader',
    input: { required: { ckpt: [['a.safetensors', 'b.safetensors']] } },
    output: ['MODEL', 'CLIP'],
  },
  Sampler: {
    name: 'Sampler',
    input: {
      required: { model: ['MODEL'], steps: ['INT', { min: 1, max: 100 }], sampler: ['COMBO', { options: ['euler'] }] },
      optional: { cfg: ['FLOAT', { min: 0, max: 30 }], any: ['*'] },
    },
    output: ['LATENT'],
  },
  Save: {
    name: 'Save',
    input: { required: { images: ['LATENT,IMAGE'], prefix: ['STRING'] } },
    output: [],
    output_node: true,
  },
};

describe('validateWorkflow', () => {
  it('should accept a well-formed graph, union types, wildcards and the COMBO options form', () => {
    const issues = validateWorkflow(
      {
        '1': { class_type: 'Loader', inputs: { ckpt: 'a.safetensors' } },
        '2': {
          class_type: 'Sampler',
          inputs: { model: ['1', 0], steps: 10, sampler: 'euler', cfg: 7.5, any: ['1', 1] },
        },
        '3': { class_type: 'Save', inputs: { images: ['2', 0], prefix: 'x' } },
      },
      INFO,
    );
    expect(issues).toEqual([]);
  });

  it('should list every problem with node, class and input', () => {
    const issues = validateWorkflow(
      {
        '1': { class_type: 'Loader', inputs: { ckpt: 'c.safetensors' } },
        '2': { class_type: 'Sampler', inputs: { model: ['1', 1], steps: 2.5, sampler: 'heun', cfg: 99 } },
        '3': { class_type: 'Save', inputs: { images: ['2', 3], prefix: 7 } },
        '4': { class_type: 'Ghost', inputs: {} },
        '5': { class_type: 'Sampler', inputs: { model: ['9', 0], steps: 0, sampler: 'euler', cfg: [1] } },
      },
      INFO,
    );
    const summary = issues.map((i) => `${i.node}/${i.classType}/${i.input ?? '-'}/${i.type}`);
    expect(summary).toEqual([
      '1/Loader/ckpt/value_not_in_list',
      '2/Sampler/model/return_type_mismatch',
      '2/Sampler/steps/invalid_input_type',
      '2/Sampler/sampler/value_not_in_list',
      '2/Sampler/cfg/value_bigger_than_max',
      '3/Save/images/bad_linked_input',
      '3/Save/prefix/invalid_input_type',
      '4/Ghost/-/invalid_prompt',
      '5/Sampler/model/bad_linked_input',
      '5/Sampler/steps/value_smaller_than_min',
      '5/Sampler/cfg/bad_linked_input',
    ]);
  });

  it('should name missing required inputs and a graph without outputs', () => {
    expect(validateWorkflow({ '1': { class_type: 'Loader', inputs: {} } }, INFO)).toEqual([
      expect.objectContaining({ node: '1', input: 'ckpt', type: 'required_input_missing' }),
    ]);
    expect(validateWorkflow({ '1': { class_type: 'Loader', inputs: { ckpt: 'a.safetensors' } } }, INFO)).toEqual([
      expect.objectContaining({ node: '*', type: 'prompt_no_outputs' }),
    ]);
    expect(validateWorkflow({}, INFO)).toEqual([expect.objectContaining({ type: 'invalid_prompt' })]);
  });

  it('should not throw on nodes that are not objects, also as link targets', () => {
    const issues = validateWorkflow(
      { '1': null, '2': 7, '3': { class_type: 'Save', inputs: { images: ['1', 0], prefix: 'x' } } } as never,
      INFO,
    );
    expect(issues.map((i) => `${i.node}/${i.type}`)).toEqual(['1/invalid_prompt', '2/invalid_prompt']);
  });
});
