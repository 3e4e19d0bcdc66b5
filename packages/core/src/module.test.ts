import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Embedding, Linear, Module, ModuleList, StateDictError, setupBackend } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

class Block extends Module {
  readonly fc: Linear;
  readonly scale: tf.Variable;
  constructor(seed: number) {
    super();
    this.scale = this.addParameter('scale', tf.ones([2]));
    this.fc = this.addModule('fc', new Linear({ inFeatures: 2, outFeatures: 2, seed }));
  }
}
class Net extends Module {
  readonly emb: Embedding;
  readonly layers: Block[];
  constructor(seed = 0) {
    super();
    this.emb = this.addModule('emb', new Embedding({ numEmbeddings: 5, embeddingDim: 2, seed, freeze: true }));
    const list = this.addModule('layers', new (class extends Module {})());
    this.layers = [0, 1].map(
      (i) =>
        (list as unknown as { addModule: Module['addModule'] }).addModule.call(
          list,
          `${i}`,
          new Block(seed + i),
        ) as Block,
    );
  }
}

describe('Module', () => {
  it('names parameters with dotted paths in registration order', () => {
    const net = new Net();
    expect([...net.namedParameters().keys()]).toEqual([
      'emb.weight',
      'layers.0.scale',
      'layers.0.fc.weight',
      'layers.0.fc.bias',
      'layers.1.scale',
      'layers.1.fc.weight',
      'layers.1.fc.bias',
    ]);
    expect(net.parameters()).toHaveLength(7);
    expect([...net.trainableParameters().keys()]).not.toContain('emb.weight');
    expect(net.numParameters()).toBe(10 + 2 * (2 + 4 + 2));
    expect(net.numParameters({ trainableOnly: true })).toBe(16);
    net.dispose();
  });

  it('train/eval recurse', () => {
    const net = new Net();
    expect(net.layers[1].fc.training).toBe(true);
    net.eval();
    expect(net.layers[1].fc.training).toBe(false);
    expect(net.emb.training).toBe(false);
    net.train();
    expect(net.layers[0].training).toBe(true);
    net.dispose();
  });

  it('rejects bad and duplicate names', () => {
    class Bad extends Module {
      constructor(name: string, twice = false) {
        super();
        this.addParameter(name, tf.zeros([1]));
        if (twice) this.addModule(name, new Linear({ inFeatures: 1, outFeatures: 1 }));
      }
    }
    expect(() => new Bad('a.b')).toThrow(/Bad.addParameter: name 'a.b'/);
    expect(() => new Bad('')).toThrow(/must be non-empty/);
    expect(() => new Bad('w', true)).toThrow(/Bad.addModule: name 'w' is already registered/);
  });

  it('stateDict round-trips into a differently seeded model', () => {
    const a = new Net(1);
    const b = new Net(2);
    b.loadStateDict(a.stateDict());
    for (const [n, v] of a.namedParameters()) {
      expect(Array.from(b.namedParameters().get(n)!.dataSync())).toEqual(Array.from(v.dataSync()));
    }
    // Values are copied: changing a afterwards does not change b.
    a.layers[0].scale.assign(tf.tensor1d([5, 5]));
    expect(Array.from(b.layers[0].scale.dataSync())).toEqual([1, 1]);
    a.dispose();
    b.dispose();
  });

  it('loadStateDict reports missing, unexpected and shape-mismatched names, and changes nothing', () => {
    const net = new Net(1);
    const before = Array.from(net.layers[0].fc.weight.dataSync());
    const dict = new Map<string, tf.Tensor>(net.stateDict());
    dict.delete('layers.1.fc.bias');
    const extra = tf.zeros([3]);
    const wrong = tf.zeros([3, 2]);
    const w0 = tf.ones([2, 2]);
    dict.set('layers.0.fc.weight', w0);
    dict.set('__proto__', extra);
    dict.set('layers.0.scale', wrong);
    let err: unknown;
    try {
      net.loadStateDict(dict);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const e = err as StateDictError;
    expect(e.missing).toEqual(['layers.1.fc.bias']);
    expect(e.unexpected).toEqual(['__proto__']);
    expect(e.shapeMismatches).toEqual([{ name: 'layers.0.scale', expected: [2], got: [3, 2] }]);
    expect(e.message).toMatch(
      /Net.loadStateDict: missing: layers.1.fc.bias \| unexpected: __proto__ \| shape mismatch: layers.0.scale expected \[2\] got \[3, 2\]/,
    );
    expect(Array.from(net.layers[0].fc.weight.dataSync())).toEqual(before);
    // strict: false tolerates missing/unexpected but still refuses shape mismatches.
    expect(() => net.loadStateDict(dict, { strict: false })).toThrow(/shape mismatch/);
    dict.set('layers.0.scale', tf.tensor1d([3, 4]));
    net.loadStateDict(dict, { strict: false });
    expect(Array.from(net.layers[0].fc.weight.dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(net.layers[0].scale.dataSync())).toEqual([3, 4]);
    tf.dispose([extra, wrong, w0, dict.get('layers.0.scale')!]);
    net.dispose();
  });

  it('loads from a plain object and casts int tensors', () => {
    const lin = new Linear({ inFeatures: 1, outFeatures: 1, seed: 0 });
    const w = tf.tensor2d([[3]], [1, 1], 'int32');
    const b = tf.tensor1d([2]);
    lin.loadStateDict({ weight: w, bias: b });
    expect(lin.weight.dtype).toBe('float32');
    expect(Array.from(lin.weight.dataSync())).toEqual([3]);
    tf.dispose([w, b]);
    lin.dispose();
  });

  it('loading its own stateDict is a no-op (not a free)', () => {
    const net = new Net(4);
    const before = Array.from(net.layers[1].fc.bias!.dataSync());
    net.loadStateDict(net.stateDict());
    expect(Array.from(net.layers[1].fc.bias!.dataSync())).toEqual(before);
    net.dispose();
  });

  it('ModuleList names children 0, 1, … and iterates them', () => {
    class Stack extends Module {
      readonly layers = this.addModule(
        'layers',
        new ModuleList([0, 1].map((i) => new Linear({ inFeatures: 2, outFeatures: 2, bias: false, seed: i }))),
      );
    }
    const s = new Stack();
    s.layers.push(new Linear({ inFeatures: 2, outFeatures: 2, bias: false, seed: 9 }));
    expect([...s.namedParameters().keys()]).toEqual(['layers.0.weight', 'layers.1.weight', 'layers.2.weight']);
    expect(s.layers.length).toBe(3);
    expect(s.layers.at(-1)).toBe([...s.layers][2]);
    expect(() => s.layers.at(3)).toThrow('ModuleList.at: index 3 is out of range for length 3');
    s.eval();
    expect(s.layers.at(0).training).toBe(false);
    s.dispose();
  });

  it('dispose frees every parameter', () => {
    const before = tf.memory().numTensors;
    const net = new Net(3);
    expect(tf.memory().numTensors).toBe(before + 7);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
