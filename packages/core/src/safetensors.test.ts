import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { halfPrecision, readSafetensors, setupBackend, writeSafetensors } from './index.js';
import { expectClose } from './testing.js';

const fixture = (name: string): URL => new URL(`../test/fixtures/${name}`, import.meta.url);

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

/** Builds a safetensors buffer from a header object (or raw header text) and data bytes. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('readSafetensors', () => {
  it('reads the file PyTorch/Python wrote (F32, F16, BF16, I32, I64, __proto__, empty, scalar) with metadata', () => {
    const expected = JSON.parse(readFileSync(fixture('from-python.expected.json'), 'utf8'));
    const { tensors, metadata } = readSafetensors(readFileSync(fixture('from-python.safetensors')));
    expect(Object.fromEntries(metadata)).toEqual(expected.metadata);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, e] of Object.entries(expected.tensors) as Array<
      [string, { dtype: string; shape: number[]; values: number[] }]
    >) {
      const t = tensors.get(name)!;
      expect(t.shape, name).toEqual(e.shape);
      expect(t.dtype, name).toBe(e.dtype.startsWith('I') ? 'int32' : 'float32');
      // Exact: F16/BF16 widen to float32 exactly, as torch's .float() does.
      expect(Array.from(t.dataSync()), name).toEqual(e.values);
    }
    expect(Object.getPrototypeOf({})).toBe(Object.prototype); // `__proto__` stayed a name
    tf.dispose([...tensors.values()]);
  });

  it('rejects truncated and lying files before allocating', () => {
    expect(() => readSafetensors(new Uint8Array(5))).toThrow(
      'readSafetensors: file is 5 bytes, shorter than the 8-byte header length',
    );
    // Header length of 2^62: must fail on the size check, not try to allocate.
    expect(() => readSafetensors(build({}, undefined, 1n << 62n))).toThrow(
      /header length 4611686018427388000 exceeds the 2 bytes after it/,
    );
    expect(() => readSafetensors(build('{"a": '))).toThrow(/header is not valid UTF-8 JSON/);
    expect(() => readSafetensors(build('[1]'))).toThrow(/header is not a JSON object/);
    const data = new Uint8Array(8);
    // Offsets past the end of the data.
    expect(() =>
      readSafetensors(build({ w: { dtype: 'F32', shape: [1000000000], data_offsets: [0, 4000000000] } }, data)),
    ).toThrow("readSafetensors: tensor 'w': data_offsets [0, 4000000000] fall outside the 8 data bytes");
    // A shape that claims more than its offsets.
    expect(() => readSafetensors(build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data))).toThrow(
      "tensor 'w': F32 shape [3] needs 12 bytes, data_offsets give 8",
    );
    // Overflowing shape product.
    expect(() =>
      readSafetensors(build({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, data)),
    ).toThrow(/needs .* bytes, data_offsets give 8/);
    expect(() => readSafetensors(build({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, data))).toThrow(
      /tensor 'w': unknown or unsupported dtype "C64"/,
    );
    expect(() => readSafetensors(build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, data))).toThrow(
      /shape \[-1\] is not a list/,
    );
    // Gaps and overlaps.
    expect(() =>
      readSafetensors(
        build(
          {
            a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
            b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          },
          data,
        ),
      ),
    ).toThrow(/data_offsets begin at 0, expected 4 \(gap or overlap\)/);
    expect(() => readSafetensors(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data))).toThrow(
      /tensors cover 4 of the 8 data bytes/,
    );
    expect(() => readSafetensors(build({ __metadata__: { a: 1 } }))).toThrow(/__metadata__\['a'\] is not a string/);
  });

  it('I64 values outside int32 are an error naming the tensor and index', () => {
    const data = new Uint8Array(16);
    const dv = new DataView(data.buffer);
    dv.setBigInt64(0, 5n, true);
    dv.setBigInt64(8, 1n << 40n, true);
    expect(() => readSafetensors(build({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data))).toThrow(
      "readSafetensors: tensor 'ids': I64 value 1099511627776 at index 1 does not fit in int32",
    );
    const before = tf.memory().numTensors;
    // Nothing leaks when a later tensor fails.
    expect(() =>
      readSafetensors(
        build(
          {
            ok: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
            bad: { dtype: 'I64', shape: [1], data_offsets: [8, 16] },
          },
          data,
        ),
      ),
    ).toThrow(/tensor 'bad'/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads an unaligned data section (header length not a multiple of 4)', () => {
    const data = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const bytes = build('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} ', data); // odd length
    const { tensors } = readSafetensors(bytes.subarray(0)); // also exercise byteOffset 0 path
    expectClose(tensors.get('w')!, [1.5, -2]);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expectClose(readSafetensors(shifted.subarray(3)).tensors.get('w')!, [1.5, -2]);
  });
});

describe('writeSafetensors', () => {
  const spec = JSON.parse(readFileSync(fixture('ours.spec.json'), 'utf8'));
  // Python writes non-finite floats as the strings "Infinity", "-Infinity", "NaN".
  const check = JSON.parse(readFileSync(fixture('python-read-check.json'), 'utf8'), (_k, v) =>
    typeof v === 'string' && /^-?Infinity$|^NaN$/.test(v) ? Number(v) : v,
  );
  const make = (): Map<string, tf.Tensor> =>
    new Map(
      spec.tensors.map((t: { name: string; values: number[]; shape: number[]; dtype: tf.DataType }) => [
        t.name,
        tf.tensor(t.values, t.shape, t.dtype),
      ]),
    );

  it.each(['F32', 'F16'] as const)(
    'writes %s files byte-identical to the ones Python read and checked',
    (floatDtype) => {
      const tensors = make();
      const bytes = writeSafetensors(tensors, new Map(Object.entries(spec.metadata)), { floatDtype });
      const py = check.files[floatDtype.toLowerCase()];
      expect(py.ok).toBe(true);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(py.sha256);
      expect(Buffer.from(bytes).equals(readFileSync(fixture(`ours-${floatDtype.toLowerCase()}.safetensors`)))).toBe(
        true,
      );
      // What Python decoded equals what we meant (F16: our rounding, which numpy's matched).
      for (const t of spec.tensors) {
        const want =
          t.dtype !== 'float32'
            ? t.values
            : floatDtype === 'F16'
              ? t.values.map((v: number) => halfPrecision.f16ToF32(halfPrecision.f32ToF16(v)))
              : Array.from(new Float32Array(t.values));
        expect(py.tensors[t.name].values, t.name).toEqual(want);
        expect(py.tensors[t.name].shape, t.name).toEqual(t.shape);
      }
      // And we read our own file back.
      const back = readSafetensors(bytes);
      expect(Object.fromEntries(back.metadata)).toEqual(spec.metadata);
      for (const name of tensors.keys())
        expect(Array.from(back.tensors.get(name)!.dataSync()), name).toEqual(py.tensors[name].values);
      tf.dispose([...tensors.values(), ...back.tensors.values()]);
    },
  );

  it('f16 rounding: ties to even, overflow to Inf, subnormals, NaN', () => {
    const { f32ToF16, f16ToF32 } = halfPrecision;
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds up to Inf
    expect(f32ToF16(-1e9)).toBe(0xfc00);
    expect(f16ToF32(f32ToF16(5.960464477539063e-8))).toBe(5.960464477539063e-8); // smallest subnormal
    expect(f32ToF16(2.98e-8)).toBe(0); // below half the smallest subnormal
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
  });

  it('rejects reserved names and non-string metadata', () => {
    const t = tf.zeros([1]);
    expect(() => writeSafetensors(new Map([['__metadata__', t]]))).toThrow(/tensor name '__metadata__' is reserved/);
    expect(() => writeSafetensors(new Map([['a', t]]), { k: 3 as unknown as string })).toThrow(
      /metadata\['k'\] is not a string/,
    );
    t.dispose();
  });
});
