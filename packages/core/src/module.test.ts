import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Dropout,
  Embedding,
  Linear,
  Module,
  ModuleList,
  Rng,
  RngStateError,
  StateDictError,
  setupBackend,
  type RngState,
} from './index.js';

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

describe('Module random generators', () => {
  class Noisy extends Module {
    readonly drop: Dropout;
    readonly inner: Dropout;
    readonly own: Rng;
    constructor(name = 'coin') {
      super();
      this.own = this.registerRng(name, new Rng(11));
      this.drop = this.addModule('drop', new Dropout({ p: 0.5, seed: 1 }));
      const block = this.addModule('block', new (class extends Module {})());
      this.inner = (block as unknown as { addModule: Module['addModule'] }).addModule.call(
        block,
        'dropout',
        new Dropout({ p: 0.3, seed: 2 }),
      ) as Dropout;
    }
    masks(): number[] {
      return tf.tidy(() => {
        const x = tf.ones([16]);
        return [
          ...this.drop.forward(x).dataSync(),
          ...this.inner.forward(x).dataSync(),
          this.own.uniform(),
        ] as number[];
      });
    }
  }

  it('namedRngs: own first, then children, dotted, as namedParameters', () => {
    const m = new Noisy();
    expect([...m.namedRngs().keys()]).toEqual(['coin', 'drop.rng', 'block.dropout.rng']);
    expect(m.namedRngs().get('coin')).toBe(m.own);
  });

  it('save after k passes, run on, restore → the same masks again (also through JSON, into a new model)', () => {
    const m = new Noisy();
    for (let k = 0; k < 3; k++) m.masks();
    const saved = m.rngStates();
    const json = JSON.parse(JSON.stringify(Object.fromEntries(saved))) as Record<string, RngState>;
    const a = [m.masks(), m.masks()];
    m.loadRngStates(saved);
    expect([m.masks(), m.masks()]).toEqual(a);
    const fresh = new Noisy();
    fresh.loadRngStates(json);
    expect([fresh.masks(), fresh.masks()]).toEqual(a);
    // Without restoring, a fresh model draws other masks (the test can fail).
    expect([new Noisy().masks()]).not.toEqual([a[0]]);
  });

  it("a generator named '__proto__' (or 'constructor') saves and loads", () => {
    const m = new Noisy('__proto__');
    expect([...m.rngStates().keys()][0]).toBe('__proto__');
    const json = JSON.parse(JSON.stringify(Object.fromEntries(m.rngStates()))) as Record<string, RngState>;
    expect(Object.keys(json)).toContain('__proto__');
    const x = m.own.uniform();
    m.loadRngStates(json);
    expect(m.own.uniform()).toBe(x);
    const c = new Noisy('constructor');
    c.loadRngStates(c.rngStates());
  });

  it('strict: missing and unexpected names throw RngStateError naming them; nothing is written', () => {
    const m = new Noisy();
    const st = m.rngStates();
    const first = new Noisy().masks();
    const partial = new Map(st);
    partial.delete('drop.rng');
    partial.set('other.rng', st.get('coin')!);
    let err: unknown;
    try {
      m.loadRngStates(partial);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RngStateError);
    expect((err as RngStateError).message).toBe('Noisy.loadRngStates: missing: drop.rng | unexpected: other.rng');
    expect((err as RngStateError).missing).toEqual(['drop.rng']);
    expect((err as RngStateError).unexpected).toEqual(['other.rng']);
    expect(m.masks()).toEqual(first); // untouched
  });

  it('strict: false restores the names that match and ignores the rest', () => {
    const m = new Noisy();
    const st = m.rngStates();
    const x = m.masks();
    const partial = new Map([...st].filter(([n]) => n !== 'coin'));
    partial.set('ghost', st.get('coin')!);
    m.loadRngStates(partial, { strict: false });
    const y = m.masks();
    expect(y.slice(0, 32)).toEqual(x.slice(0, 32)); // both dropouts rewound
    expect(y[32]).not.toBe(x[32]); // 'coin' was not
  });

  it('a malformed state throws RngStateError naming the generator, before anything is written', () => {
    const m = new Noisy();
    const st = Object.fromEntries(m.rngStates());
    const first = new Noisy().masks();
    const bad = { ...st, 'block.dropout.rng': { ...st['block.dropout.rng'], s: [0, 0, 0] } } as unknown as Record<
      string,
      RngState
    >;
    expect(() => m.loadRngStates(bad)).toThrow(
      "Noisy.loadRngStates: 'block.dropout.rng': state.s = an array of length 3 (expected an array of 4 integers in [0, 2^32))",
    );
    expect(m.masks()).toEqual(first);
    expect(() => m.loadRngStates(null as unknown as Map<string, RngState>)).toThrow(RngStateError);
  });

  it('registerRng checks names and shares the namespace with parameters and children', () => {
    class Bad extends Module {
      constructor(name: string, rng: unknown = new Rng(0)) {
        super();
        this.addParameter('w', tf.zeros([1]));
        this.registerRng(name, rng as Rng);
      }
    }
    expect(() => new Bad('w')).toThrow("Bad.registerRng: name 'w' is already registered");
    expect(() => new Bad('a.b')).toThrow("Bad.registerRng: name 'a.b' must be non-empty and contain no '.'");
    expect(() => new Bad('x', {})).toThrow("Bad.registerRng: 'x' is not an Rng");
  });
});
