// The setup module of the replica tests (plain JavaScript: replica threads load it without a TypeScript step).
// kind 'mlp': a regression net on 24 examples; kind 'lstm': a 2-layer LSTM LM with dropout and truncated BPTT
// (its hidden state carried in fit's carry). options.fail = { rank, step } makes that replica's loss throw.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, Dropout, Embedding, Linear, manualSeed, Module, mseLoss, Rng } from '@wordloom/core';
import { bpttBatches, DataLoader, fromArray, lmChunkTensors } from '@wordloom/data';
import { adam, Optimizer } from '@wordloom/optim';
import { LSTM } from '@wordloom/rnn';

class Net extends Module {
  constructor(seed, p, rank) {
    super();
    this.l1 = this.addModule('l1', new Linear({ inFeatures: 3, outFeatures: 8, seed }));
    this.drop = this.addModule('drop', new Dropout({ p, seed: seed + 1 + 1000 * rank }));
    this.l2 = this.addModule('l2', new Linear({ inFeatures: 8, outFeatures: 1, seed: seed + 2 }));
  }
  forward(x) {
    return tf.tidy(() => this.l2.forward(this.drop.forward(tf.tanh(this.l1.forward(x)))));
  }
}

class LstmLm extends Module {
  constructor(rank) {
    super();
    this.emb = this.addModule('emb', new Embedding({ numEmbeddings: 10, embeddingDim: 6, seed: 1 }));
    this.rnn = this.addModule(
      'rnn',
      new LSTM({ inputSize: 6, hiddenSize: 8, numLayers: 2, dropout: 0.2, seed: 2 + 1000 * rank }),
    );
    this.head = this.addModule('head', new Linear({ inFeatures: 8, outFeatures: 10, seed: 3 }));
  }
}

function examples(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = [Math.sin(i), Math.cos(1.3 * i), ((i % 5) - 2) / 2];
    out.push({ x, y: x[0] - 2 * x[1] + 0.5 * x[2] });
  }
  return out;
}

const collate = (xs) => ({
  x: tf.tensor2d(
    xs.map((e) => e.x),
    [xs.length, 3],
  ),
  y: tf.tensor2d(
    xs.map((e) => [e.y]),
    [xs.length, 1],
  ),
});

function failCheck(options, rank, ctx) {
  const f = options.fail;
  if (f && f.rank === rank && ctx.step === f.step) throw new Error(`boom at step ${ctx.step}`);
}

export function setup({ rank, world, options }) {
  manualSeed(12 + rank);
  if (options.setupFails === rank) throw new TypeError(`no data for replica ${rank}`);
  if (options.kind === 'lstm') {
    const model = new LstmLm(rank);
    const optimizer = new Optimizer(model, adam({ lr: 0.01 }));
    const r = new Rng(3);
    const stream = Array.from({ length: 124 }, (_, i) => (i % 7 === 0 ? 1 : 2 + r.int(8)));
    // 5 rows of 24 tokens, chunks of 6: 4 chunks per epoch; 2 replicas take 2 and 3 rows.
    const train = new DataLoader({
      dataset: bpttBatches(stream, { batchSize: 5, seqLen: 6 }),
      collate: (xs) => lmChunkTensors(xs[0]),
    });
    return {
      model,
      optimizer,
      train,
      loss: (m, b, ctx) => {
        failCheck(options, rank, ctx);
        if (ctx.batchIndex === 0) {
          ctx.carry.delete('h');
          ctx.carry.delete('c');
        }
        const h = ctx.carry.get('h');
        const c = ctx.carry.get('c');
        const out = m.rnn.forward(m.emb.forward(b.input), h && c ? { initialState: { h, c } } : {});
        ctx.carry.set('h', out.state.h);
        ctx.carry.set('c', out.state.c);
        return crossEntropy(m.head.forward(out.outputs), b.target);
      },
    };
  }
  const model = new Net(1, options.dropout ?? 0, rank);
  // options.diverge: that replica takes another learning rate (what a replica on another backend would do).
  const optimizer = new Optimizer(model, adam({ lr: options.diverge === rank ? 0.06 : 0.05 }));
  const train = new DataLoader({
    dataset: fromArray(examples(options.n ?? 24)),
    batchSize: options.batchSize ?? 5,
    shuffle: true,
    seed: 7,
    collate,
  });
  // options.heavyFirstRow: sliceCost makes each batch's first row cost as much as 100 others, so with 2 replicas
  // rank 0 takes that row alone (equal rows would give it 2 of 5); the loss checks the rows it was given.
  const heavy = options.heavyFirstRow === true;
  return {
    model,
    optimizer,
    train,
    ...(heavy ? { sliceCost: (b) => Float64Array.from({ length: b.x.shape[0] }, (_, i) => (i === 0 ? 100 : 1)) } : {}),
    loss: (m, b, ctx) => {
      failCheck(options, rank, ctx);
      if (heavy && world === 2 && rank === 0 && b.x.shape[0] !== 1)
        throw new Error(`rank 0 was given ${b.x.shape[0]} rows, expected the heavy row alone`);
      return mseLoss(m.forward(b.x), b.y);
    },
  };
}
