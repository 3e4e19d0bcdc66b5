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
    expect(logs).toEqual([[[1, 4, 100], 2, [1, 4, 4, 4]]]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
