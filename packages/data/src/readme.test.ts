/**
 * Runs the README's "Use" example on the committed NSMC excerpt, and checks that the README
 * shows exactly this code (between the README:start / README:end markers below).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { BucketBatchSampler, DataLoader, fromArray, padCollate, randomSplit } from '@wordloom/data';
import { readNsmcFile } from '@wordloom/data/node';

describe('README example', () => {
  beforeAll(async () => {
    await setupBackend(); // the example calls it again: a no-op then
  });

  it('is the code the README shows', () => {
    const src = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const block = src.split('// README:start\n')[1].split('    // README:end')[0];
    const dedented = block
      .split('\n')
      .map((l) => l.replace(/^ {4}/, ''))
      .join('\n');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(dedented);
  });

  it('reads NSMC, tokenizes and iterates padded batches ready for an RNN', async () => {
    const path = fileURLToPath(new URL('../test/fixtures/nsmc_200.txt.gz', import.meta.url));
    const before = tf.memory().numTensors;
    // README:start
    await setupBackend();

    // 1. Read NSMC (plain or .gz, streamed) in one call: header checked, rows validated.
    const { rows } = await readNsmcFile(path);

    // 2. Tokenize. Any tokenizer works; here a whitespace vocabulary with <pad> and <unk>.
    //    With @wordloom/tokenizer: ids = tokenizer.encodeIds(text), padId = tokenizer.tokenToId('<pad>').
    const vocab = new Map<string, number>([
      ['<pad>', 0],
      ['<unk>', 1],
    ]);
    for (const r of rows) for (const w of r.document.split(' ')) if (w && !vocab.has(w)) vocab.set(w, vocab.size);
    const encode = (text: string) =>
      Int32Array.from(text.split(' ').filter(Boolean), (w) => vocab.get(w) ?? vocab.get('<unk>')!);
    const examples = rows.map((r) => ({ ids: encode(r.document), label: r.label }));

    // 3. Split 90/10, batch by similar length, pad, and iterate.
    const [train, valid] = randomSplit(fromArray(examples), { lengths: [0.9, 0.1], seed: 0 });
    const lengths = Array.from({ length: train.length }, (_, i) => train.get(i).ids.length);
    const sampler = new BucketBatchSampler({ lengths, batchSize: 32, seed: 0 });
    console.log(`padding: ${(100 * sampler.stats(0).padFraction).toFixed(1)}% of cells`);
    const loader = new DataLoader({
      dataset: train,
      batchSampler: sampler,
      collate: padCollate({ padId: vocab.get('<pad>')!, sortByLength: true }),
    });
    let batches = 0;
    for (let epoch = 0; epoch < 2; epoch++) {
      for await (const batch of loader) {
        // batch.ids [B, T] int32 · batch.lengths [B] · batch.mask [B, T] (1 = real) · batch.labels [B]
        // rows sorted by decreasing length (packed RNNs); batch.unsortIndices restores the order.
        // e.g. const { outputs, state } = lstm.forward(embedding.forward(batch.ids), { lengths: batch.lengths });
        batches++;
        tf.dispose(batch);
      }
    }
    console.log(`${batches} batches, ${valid.length} validation examples held out`);
    // README:end
    expect(rows.length).toBe(200);
    expect(train.length + valid.length).toBe(200);
    expect(batches).toBe(2 * loader.length);
    expect(loader.length).toBe(Math.ceil(train.length / 32));
    expect(tf.memory().numTensors).toBe(before);
  });
});
