/**
 * LayerNorm over rows of `d` in float64, for tests of the fused kernels (fused-ops.test.ts in Node,
 * test/kernels-browser.test.ts's page in Chromium): the output `y`, and `dx` / `dg` / `db`, the
 * gradients of Σ y·r. `g` and `b` null: no affine part. Not part of the build (`testdata/`).
 */
export function layerNormReference(
  x: ArrayLike<number>,
  g: ArrayLike<number> | null,
  b: ArrayLike<number> | null,
  r: ArrayLike<number>,
  d: number,
  eps = 1e-5,
): { y: Float64Array; dx: Float64Array; dg: Float64Array; db: Float64Array } {
  const rows = x.length / d;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dg = new Float64Array(d);
  const db = new Float64Array(d);
  for (let i = 0; i < rows; i++) {
    const o = i * d;
    let m = 0;
    for (let j = 0; j < d; j++) m += x[o + j] / d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[o + j] - m) ** 2 / d;
    const s = 1 / Math.sqrt(v + eps);
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * s;
      y[o + j] = g && b ? xh * g[j] + b[j] : xh;
      const gy = g ? r[o + j] * g[j] : r[o + j];
      s1 += gy / d;
      s2 += (gy * xh) / d;
      dg[j] += r[o + j] * xh;
      db[j] += r[o + j];
    }
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * s;
      const gy = g ? r[o + j] * g[j] : r[o + j];
      dx[o + j] = s * (gy - s1 - xh * s2);
    }
  }
  return { y, dx, dg, db };
}
