/**
 * The generated gradient registrations (src/internal/tfjs-gradients.ts) against finite
 * differences, for the ops NLP models use, on cpu and on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from './index.js';
import { SKIPPED_GRADIENTS, gradConfigs } from './internal/tfjs-gradients.js';
import { checkGradients } from './testing.js';

const NLP_KERNELS = [
  'Add',
  'AddN',
  'Sub',
  'Multiply',
  'RealDiv',
  'Neg',
  'BatchMatMul',
  'GatherV2',
  'Concat',
  'Slice',
  'Reshape',
  'Transpose',
  'Sum',
  'Mean',
  'Max',
  'Min',
  'Maximum',
  'Minimum',
  'Exp',
  'Log',
  'Log1p',
  'Tanh',
  'Sigmoid',
  'Relu',
  'Softmax',
  'Select',
  'Pack',
  'Unpack',
  'SplitV',
  'Tile',
  'Pow',
  'Sqrt',
  'Rsqrt',
  'Square',
  'SquaredDifference',
  'Erf',
  'Softplus',
  'Cast',
  'ClipByValue',
  'Abs',
  'Prod',
  'Cumsum',
  'BroadcastTo',
  'PadV2',
  'Reverse',
]; // (tfjs ships no gradient for StridedSlice: use tf.slice in differentiable code)

describe.each(['cpu', 'wasm'] as const)('registered gradients on %s', (backend) => {
  beforeAll(async () => {
    expect((await setupBackend({ prefer: [backend] })).backend).toBe(backend);
  });

  it('exist for every kernel NLP models use', () => {
    const missing = [
      ...NLP_KERNELS,
      'GatherNd',
      'Greater',
      'Less',
      'Equal',
      'NotEqual',
      'LessEqual',
      'LogicalAnd',
      'LogicalNot',
    ].filter((k) => tf.getGradient(k) == null);
    expect(missing).toEqual([]);
    expect(gradConfigs.length).toBeGreaterThan(90);
    expect(SKIPPED_GRADIENTS).toEqual([
      'AvgPool3D',
      'AvgPool',
      'Conv2DBackpropInput',
      'Conv2D',
      'Conv3D',
      'DepthwiseConv2dNative',
      'LRN',
      'MaxPool3D',
      'MaxPool',
    ]);
  });

  it('match finite differences through composite functions', () => {
    const a = tf.tensor2d([
      [0.3, -0.8, 1.1],
      [0.5, 0.2, -0.4],
    ]);
    const b = tf.tensor2d([
      [0.7, 0.1],
      [-0.3, 0.9],
      [0.4, -0.6],
    ]);
    const cases: Array<[string, (...xs: tf.Tensor[]) => tf.Scalar, tf.Tensor[]]> = [
      ['matMul/tanh/logSumExp', (x, y) => tf.logSumExp(tf.tanh(tf.matMul(x, y))), [a, b]],
      [
        'batched matMul (transposes)',
        (x, y) => tf.sum(tf.sin(tf.matMul(tf.stack([x, x]), tf.stack([y, y]), true, true))),
        [tf.transpose(b), tf.transpose(a)],
      ],
      [
        'concat/slice/stack/unstack',
        (x) =>
          tf.sum(
            tf.mul(
              tf.concat([tf.slice(x, [0, 1], [2, 2]), x], 1),
              tf.stack(tf.unstack(tf.concat([tf.slice(x, [0, 0], [2, 2]), x], 1))),
            ),
          ),
        [a],
      ],
      [
        'where/max/maximum',
        (x) =>
          tf.add(
            tf.sum(tf.where(tf.greater(x, 0), tf.square(x), tf.mul(x, 3))),
            tf.sum(tf.max(tf.maximum(x, 0.25), 1)),
          ),
        [a],
      ],
      ['softmax/log/pow/sqrt', (x) => tf.sum(tf.mul(tf.log(tf.softmax(x)), tf.sqrt(tf.add(tf.pow(x, 2), 1)))), [a]],
      [
        'cumsum/tile/pad/reverse',
        (x) =>
          tf.sum(
            tf.mul(
              tf.cumsum(
                tf.tile(
                  tf.pad(x, [
                    [0, 0],
                    [1, 0],
                  ]),
                  [1, 2],
                ),
                1,
              ),
              tf.reverse(
                tf.tile(
                  tf.pad(x, [
                    [0, 0],
                    [1, 0],
                  ]),
                  [1, 2],
                ),
                1,
              ),
            ),
          ),
        [a],
      ],
      [
        'erf/softplus/sigmoid/clip',
        (x) => tf.sum(tf.add(tf.erf(x), tf.mul(tf.softplus(x), tf.clipByValue(tf.sigmoid(x), 0.4, 0.6)))),
        [a],
      ],
      [
        'gatherND (repeated indices)',
        (x) =>
          tf.sum(
            tf.mul(
              tf.tanh(
                tf.gatherND(
                  x,
                  tf.tensor2d(
                    [
                      [1, 2],
                      [0, 0],
                      [1, 2],
                    ],
                    [3, 2],
                    'int32',
                  ),
                ),
              ),
              tf.tensor1d([1, -2, 3]),
            ),
          ),
        [a],
      ],
      [
        'mean/prod/split/gather',
        (x) => {
          const [p, q] = tf.split(x, [1, 2], 1);
          return tf.add(tf.mean(tf.prod(tf.add(q, 2), 1)), tf.sum(tf.gather(p, tf.tensor1d([1, 1, 0], 'int32'))));
        },
        [a],
      ],
    ];
    for (const [name, f, xs] of cases) {
      try {
        checkGradients(f, xs, { eps: 1e-3, rtol: 2e-2, atol: 2e-3 });
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
    tf.dispose([a, b]);
  });
});
