;; Float64 kernels for randomized SVD in WebAssembly SIMD (f64x2). Compiled by
;; tooling/golden/embeddings/build_wasm.mjs into linalg-simd-wasm.ts. Byte offsets into the
;; imported memory; dense row lengths `l` and column lengths `n` are even.
(module
  (import "env" "mem" (memory 1 65536))

  ;; y += a * x  (n doubles)
  (func $axpy (param $y i32) (param $x i32) (param $a f64) (param $n i32)
    (local $av v128) (local $end i32)
    (local.set $av (f64x2.splat (local.get $a)))
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store (local.get $y) (f64x2.add (v128.load (local.get $y)) (f64x2.mul (local.get $av) (v128.load (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l))))
  (func (export "axpy") (param $y i32) (param $x i32) (param $a f64) (param $n i32)
    (call $axpy (local.get $y) (local.get $x) (local.get $a) (local.get $n)))

  ;; x · y (n doubles)
  (func (export "dot") (param $x i32) (param $y i32) (param $n i32) (result f64)
    (local $acc0 v128) (local $acc1 v128) (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 3))))
    ;; pairs of f64x2 while >= 4 doubles remain
    (block $done
      (loop $l
        (br_if $done (i32.gt_u (i32.add (local.get $x) (i32.const 32)) (local.get $end)))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $acc1 (f64x2.add (local.get $acc1)
          (f64x2.mul (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (local.set $y (i32.add (local.get $y) (i32.const 32)))
        (br $l)))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))

  ;; Y[i,:] += Σ_p data[p] * X[indices[p], :]  for CSR rows i < rows (row-major, l doubles a row)
  (func (export "spmm") (param $indptr i32) (param $indices i32) (param $data i32) (param $rows i32)
        (param $X i32) (param $Y i32) (param $l i32)
    (local $i i32) (local $p i32) (local $pe i32) (local $yrow i32) (local $rb i32)
    (local.set $rb (i32.shl (local.get $l) (i32.const 3)))
    (block $done
      (loop $li
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $p (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $pe (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $yrow (i32.add (local.get $Y) (i32.mul (local.get $i) (local.get $rb))))
        (block $pd
          (loop $lp
            (br_if $pd (i32.ge_u (local.get $p) (local.get $pe)))
            (call $axpy (local.get $yrow)
              (i32.add (local.get $X) (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2)))) (local.get $rb)))
              (f64.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3))))
              (local.get $l))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $lp)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li))))

  ;; Y[indices[p], :] += data[p] * X[i, :]  (Aᵀ·X for CSR A)
  (func (export "spmmT") (param $indptr i32) (param $indices i32) (param $data i32) (param $rows i32)
        (param $X i32) (param $Y i32) (param $l i32)
    (local $i i32) (local $p i32) (local $pe i32) (local $xrow i32) (local $rb i32)
    (local.set $rb (i32.shl (local.get $l) (i32.const 3)))
    (block $done
      (loop $li
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $p (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $pe (i32.load offset=4 (i32.add (local.get $indptr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $xrow (i32.add (local.get $X) (i32.mul (local.get $i) (local.get $rb))))
        (block $pd
          (loop $lp
            (br_if $pd (i32.ge_u (local.get $p) (local.get $pe)))
            (call $axpy
              (i32.add (local.get $Y) (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2)))) (local.get $rb)))
              (local.get $xrow)
              (f64.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 3))))
              (local.get $l))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $lp)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li))))

  ;; out[t*nrows + i] = rows[i] · queries[t]  (float32, dims padded to a multiple of 8)
  (func (export "mscore") (param $rows i32) (param $nrows i32) (param $dp i32) (param $queries i32) (param $nq i32) (param $out i32)
    (local $i i32) (local $t i32) (local $r i32) (local $q i32) (local $k i32) (local $acc0 v128) (local $acc1 v128) (local $rb i32)
    (local.set $rb (i32.shl (local.get $dp) (i32.const 2)))
    (block $di
      (loop $li
        (br_if $di (i32.ge_u (local.get $i) (local.get $nrows)))
        (local.set $t (i32.const 0))
        (block $dt
          (loop $lt
            (br_if $dt (i32.ge_u (local.get $t) (local.get $nq)))
            (local.set $r (i32.add (local.get $rows) (i32.mul (local.get $i) (local.get $rb))))
            (local.set $q (i32.add (local.get $queries) (i32.mul (local.get $t) (local.get $rb))))
            (local.set $acc0 (v128.const i32x4 0 0 0 0))
            (local.set $acc1 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $dk
              (loop $lk
                (br_if $dk (i32.ge_u (local.get $k) (local.get $dp)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $r)) (v128.load (local.get $q)))))
                (local.set $acc1 (f32x4.add (local.get $acc1)
                  (f32x4.mul (v128.load offset=16 (local.get $r)) (v128.load offset=16 (local.get $q)))))
                (local.set $r (i32.add (local.get $r) (i32.const 32)))
                (local.set $q (i32.add (local.get $q) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 8)))
                (br $lk)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
            (f32.store
              (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $nrows)) (local.get $i)) (i32.const 2)))
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
                (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $lt)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li))))
)
