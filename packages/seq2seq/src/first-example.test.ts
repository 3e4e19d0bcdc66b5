/** The README's first "Use" example, taken from README.md: type-checked (strict NodeNext) and run. */
import { describe, expect, it } from 'vitest';
import { readmeExample, runExample, typecheckExample } from '../../../tooling/scripts/readme-example.js';

const example = readmeExample(import.meta.url);

describe('README "Use" example', () => {
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('runs and prints what its comments say', async () => {
    const logs = await runExample(example);
    expect(logs).toHaveLength(7);
    expect(Math.abs((logs[0][0] as number) - Math.log(8))).toBeLessThan(0.3); // ≈ ln 8 before training
    const [tokens, attentionRows] = logs[1] as [Int32Array, number];
    expect(tokens.length).toBeLessThanOrEqual(6);
    expect(attentionRows === tokens.length || attentionRows === tokens.length + 1).toBe(true);
    expect(logs[2][0]).toEqual([96, 48]);
    const scores = logs.slice(3, 6).map((l) => Number(l[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a)); // best first
    expect(logs[6][0]).toEqual([3]);
  });
});
