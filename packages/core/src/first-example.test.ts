/** The README's first "Use" example, taken from README.md: type-checked (strict NodeNext) and run. */
import { describe, expect, it } from 'vitest';
import { readmeExample, runExample, typecheckExample } from '../../../tooling/scripts/readme-example.js';

const example = readmeExample(import.meta.url);

describe('README "Use" example', () => {
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('runs and trains', async () => {
    const logs = await runExample(example);
    const line = logs.at(-1)!;
    expect(line[0]).toBe('wasm');
    expect(Number(line[3])).toBeLessThan(Number(line[1]) * 0.5); // loss went down
    expect(line[4]).toBe('emb.weight fc.weight fc.bias');
    expect(line[5]).toBe('1');
  });
});
