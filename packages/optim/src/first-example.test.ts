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

  it('fits the line, resumes at step 500 and leaks nothing', async () => {
    await setupBackend(); // the example calls it again: a no-op then
    const before = tf.memory().numTensors;
    const logs = await runExample(example);
    expect(logs.pop()).toEqual([500]);
    // step, loss, pre-clip gradient norm every 100 steps
    expect(logs.map((l) => l[0])).toEqual([0, 100, 200, 300, 400]);
    const losses = logs.map((l) => l[1] as number);
    expect(losses[4]).toBeLessThan(1e-3);
    expect(losses[4]).toBeLessThan(losses[0] / 100);
    expect(logs.every((l) => (l[2] as number) > 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
