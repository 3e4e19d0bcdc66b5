import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectTensors, disposeTensors, forEachTensor, mapTensors, setupBackend, tidy } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('tensor trees', () => {
  it('visit, collect, map and dispose tensors in objects, arrays and Maps; leaves stay', () => {
    const a = tf.scalar(1);
    const b = tf.tensor1d([2, 3]);
    const c = tf.scalar(4);
    const ids = Int32Array.from([7, 8]);
    const tree = { step: 3, name: 'x', none: null, ids, h: [a, { c: b }], m: new Map([['k', c]]), again: a };
    const seen: tf.Tensor[] = [];
    forEachTensor(tree, (t) => seen.push(t));
    expect(seen).toEqual([a, b, c, a]);
    expect([...collectTensors(tree)]).toEqual([a, b, c]);
    const doubled = mapTensors(tree, (t) => tf.mul(t, 2));
    expect(doubled.step).toBe(3);
    expect(doubled.name).toBe('x');
    expect(doubled.none).toBeNull();
    expect(doubled.ids).toBe(ids);
    expect(doubled.m).toBeInstanceOf(Map);
    expect((doubled.m.get('k') as tf.Tensor).dataSync()[0]).toBe(8);
    expect(Array.from((doubled.h[1] as { c: tf.Tensor }).c.dataSync())).toEqual([4, 6]);
    expect(tree.h[0]).toBe(a); // the input is untouched
    disposeTensors(tree);
    expect([a, b, c].every((t) => t.isDisposed)).toBe(true);
    disposeTensors(tree); // twice is fine
    disposeTensors(doubled);
  });

  it('mapTensors keeps an own __proto__ key as a key', () => {
    const t = tf.scalar(1);
    const tree = JSON.parse('{"__proto__": 0, "x": 1}') as Record<string, unknown>;
    tree.x = t;
    const out = mapTensors(tree, (u) => u) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'x']);
    t.dispose();
  });

  it('tidy keeps the tensors of a typed result and disposes the rest', () => {
    interface Out {
      y: tf.Tensor;
      parts: tf.Tensor[];
      n: number;
    }
    const before = tf.memory().numTensors;
    const out: Out = tidy(() => {
      const x = tf.ones([2]);
      const tmp = tf.add(x, 1);
      return { y: tf.mul(tmp, 2), parts: [tf.neg(x)], n: 5 };
    });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(Array.from(out.y.dataSync())).toEqual([4, 4]);
    expect(out.n).toBe(5);
    tf.dispose([out.y, ...out.parts]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
