/** The README's first "Use" example, taken from README.md: type-checked (strict NodeNext) and run on the committed 200-row NSMC excerpt. */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExample, runExample, typecheckExample } from '../../../tooling/scripts/readme-example.js';

const example = readmeExample(import.meta.url);

describe('README "Use" example', () => {
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('reads NSMC, tokenizes, iterates padded batches, prints what the README says and leaks nothing', async () => {
    await setupBackend(); // the example calls it again: a no-op then
    const before = tf.memory().numTensors;
    const nsmc = fileURLToPath(new URL('../test/fixtures/nsmc_200.txt.gz', import.meta.url));
    const logs = await runExample(example, { files: { 'ratings_test.txt.gz': nsmc } });
    // The numbers the README quotes under the example.
    expect(logs).toEqual([['padding: 24.3% of cells'], ['12 batches, 20 validation examples held out']]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
