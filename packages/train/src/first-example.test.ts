/** The README's first "Use" example, taken from README.md: type-checked (strict NodeNext) and run. */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '@wordloom/core';
import { describe, expect, it } from 'vitest';
import { readmeExample, runExample, typecheckExample } from '../../../tooling/scripts/readme-example.js';
import { readMetricsJsonl } from './index.js';

const example = readmeExample(import.meta.url);

describe('README "Use" example', () => {
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('trains, is interrupted at step 55, resumes from the folder and finishes', async () => {
    await setupBackend(); // the example calls it again: a no-op then
    const dir = join(mkdtempSync(join(tmpdir(), 'wl-train-readme-')), 'quadrants');
    const before = tf.memory().numTensors;
    const logs = await runExample(example, {
      files: { 'runs/quadrants': dir, 'runs/quadrants/metrics.jsonl': join(dir, 'metrics.jsonl') },
    });
    expect(logs[0]).toEqual(['aborted', 55]);
    const [reason, step, resumedFrom] = logs[1] as [string, number, number];
    expect(resumedFrom).toBe(55);
    expect(reason).toBe('earlyStopping');
    expect(step).toBe(100);
    expect(logs[2][0]).toBeGreaterThan(0.95);
    expect(readdirSync(dir).filter((n) => n.endsWith('.safetensors'))).toContain(
      `checkpoint-${String(step).padStart(9, '0')}.safetensors`,
    );
    const log = readMetricsJsonl(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
    expect(log.steps[log.steps.length - 1].step).toBe(step);
    // The example's models and optimizers are the example's; the loop itself leaves nothing behind but them.
    expect(tf.memory().numTensors).toBeGreaterThan(before);
  });
});
