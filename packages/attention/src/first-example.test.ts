/** The README's first "Use" example, taken from README.md: type-checked (strict NodeNext) and run. */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { describe, expect, it } from 'vitest';
import { readmeExample, runExample, typecheckExample } from '../../../tooling/scripts/readme-example.js';

const example = readmeExample(import.meta.url);

describe('README "Use" example', () => {
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('runs, prints what its comments say and leaks nothing', async () => {
    await setupBackend(); // the example calls it again: a no-op then
    const before = tf.memory().numTensors;
    const logs = await runExample(example);
    expect(logs[0][0]).toEqual([2, 8]);
    expect((logs[0][1] as number[][])[1][3]).toBe(0);
    expect(logs[1][0]).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(logs[2]).toEqual([
      [2, 4, 8],
      [2, 2, 4, 4],
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
