;; Memory-bound kernels for tfjs-backend-wasm's heap, in WebAssembly 128-bit SIMD: a transpose of
;; two adjacent axis groups and the dropout mask. Compiled by packages/core/scripts/generate.mjs
;; (wabt) into fused-ops-wasm.ts; fused-ops.ts instantiates it on the backend's own memory, so
;; the kernels read and write tensors in place. All addresses are byte offsets into that memory.
(module
  (import "env" "mem" (memory 1))

  ;; One 4 × 4 tile: the four 16-byte rows at p, p + ldS, … become the four columns at q, q + ldD, …
  (func $tile (param $p i32) (param $q i32) (param $ldS i32) (param $ldD i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $v0 (v128.load (local.get $p)))
    (local.set $p (i32.add (local.get $p) (local.get $ldS)))
    (local.set $v1 (v128.load (local.get $p)))
    (local.set $p (i32.add (local.get $p) (local.get $ldS)))
    (local.set $v2 (v128.load (local.get $p)))
    (local.set $p (i32.add (local.get $p) (local.get $ldS)))
    (local.set $v3 (v128.load (local.get $p)))
    ;; [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
    (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
    (local.set $q (i32.add (local.get $q) (local.get $ldD)))
    (v128.store (local.get $q) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
    (local.set $q (i32.add (local.get $q) (local.get $ldD)))
    (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
    (local.set $q (i32.add (local.get $q) (local.get $ldD)))
    (v128.store (local.get $q) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))

  ;; dst[a][c][r][i] = src[a][r][c][i] for a < A, r < R, c < C, i < I (4-byte elements).
  ;; tfjs-backend-wasm's Transpose moves one element at a time in output order, so a 2-D
  ;; transpose reads with a stride of a whole row: ≈ 20 ns per element for [4096, 256] (measured
  ;; in the encoder step's profile). Here I = 1 runs in 4 × 4 tiles (four v128 loads, eight
  ;; shuffles, four v128 stores) and I > 1 copies runs of I elements (v128 moves when I is a multiple
  ;; of 4, else memory.copy).
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $A i32) (param $R i32) (param $C i32) (param $I i32)
    (local $a i32) (local $r i32) (local $c i32) (local $run i32)
    (local $sA i32) (local $dA i32) (local $R4 i32) (local $C4 i32)
    (local $ldS i32) (local $ldD i32)
    (local $p i32) (local $q i32) (local $rr i32) (local $rEnd i32) (local $k i32)
    (if (i32.gt_u (local.get $I) (i32.const 1))
      (then
        (local.set $run (i32.shl (local.get $I) (i32.const 2)))
        ;; bytes of one [C][I] source row and one [R][I] destination row
        (local.set $ldS (i32.mul (local.get $C) (local.get $run)))
        (local.set $ldD (i32.mul (local.get $R) (local.get $run)))
        (local.set $a (i32.const 0))
        (block $aDone
          (loop $aLoop
            (br_if $aDone (i32.ge_u (local.get $a) (local.get $A)))
            (local.set $sA (i32.add (local.get $src) (i32.mul (local.get $a) (i32.mul (local.get $R) (local.get $ldS)))))
            (local.set $dA (i32.add (local.get $dst) (i32.mul (local.get $a) (i32.mul (local.get $C) (local.get $ldD)))))
            (local.set $r (i32.const 0))
            (block $rDone
              (loop $rLoop
                (br_if $rDone (i32.ge_u (local.get $r) (local.get $R)))
                (local.set $p (i32.add (local.get $sA) (i32.mul (local.get $r) (local.get $ldS))))
                (local.set $q (i32.add (local.get $dA) (i32.mul (local.get $r) (local.get $run))))
                (local.set $c (i32.const 0))
                (block $cDone
                  (loop $cLoop
                    (br_if $cDone (i32.ge_u (local.get $c) (local.get $C)))
                    (if (i32.and (local.get $I) (i32.const 3))
                      (then (memory.copy (local.get $q) (local.get $p) (local.get $run)))
                      (else
                        ;; whole v128s: V8's memory.copy calls out to the runtime, slow for runs this short
                        (local.set $k (i32.const 0))
                        (block $vDone
                          (loop $vLoop
                            (br_if $vDone (i32.ge_u (local.get $k) (local.get $run)))
                            (v128.store (i32.add (local.get $q) (local.get $k))
                              (v128.load (i32.add (local.get $p) (local.get $k))))
                            (local.set $k (i32.add (local.get $k) (i32.const 16)))
                            (br $vLoop)))))
                    (local.set $p (i32.add (local.get $p) (local.get $run)))
                    (local.set $q (i32.add (local.get $q) (local.get $ldD)))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br $cLoop)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rLoop)))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (br $aLoop)))
        (return)))
    ;; I = 1: element transpose of A matrices [R, C] -> [C, R]
    (local.set $ldS (i32.shl (local.get $C) (i32.const 2)))
    (local.set $ldD (i32.shl (local.get $R) (i32.const 2)))
    (local.set $R4 (i32.and (local.get $R) (i32.const -4)))
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (local.set $a (i32.const 0))
    (block $aDone1
      (loop $aLoop1
        (br_if $aDone1 (i32.ge_u (local.get $a) (local.get $A)))
        (local.set $sA (i32.add (local.get $src) (i32.mul (local.get $a) (i32.mul (local.get $R) (local.get $ldS)))))
        (local.set $dA (i32.add (local.get $dst) (i32.mul (local.get $a) (i32.mul (local.get $C) (local.get $ldD)))))
        ;; 4 × 4 tiles over rows r < R4, columns c < C4, in bands of 16 rows: for each column
        ;; step the band's four tiles fill whole 64-byte lines of four destination rows (tile by
        ;; tile in row order, the 2^k-strided destination lines alias in L1 and miss the TLB)
        (local.set $r (i32.const 0))
        (block $rDone1
          (loop $rLoop1
            (br_if $rDone1 (i32.ge_u (local.get $r) (local.get $R4)))
            (local.set $rEnd (i32.add (local.get $r) (i32.const 16)))
            (if (i32.gt_u (local.get $rEnd) (local.get $R4)) (then (local.set $rEnd (local.get $R4))))
            (local.set $c (i32.const 0))
            (block $cDone1
              (loop $cLoop1
                (br_if $cDone1 (i32.ge_u (local.get $c) (local.get $C4)))
                (local.set $rr (local.get $r))
                (block $tDone
                  (loop $tLoop
                    (br_if $tDone (i32.ge_u (local.get $rr) (local.get $rEnd)))
                    (call $tile
                      (i32.add (i32.add (local.get $sA) (i32.mul (local.get $rr) (local.get $ldS))) (i32.shl (local.get $c) (i32.const 2)))
                      (i32.add (i32.add (local.get $dA) (i32.mul (local.get $c) (local.get $ldD))) (i32.shl (local.get $rr) (i32.const 2)))
                      (local.get $ldS) (local.get $ldD))
                    (local.set $rr (i32.add (local.get $rr) (i32.const 4)))
                    (br $tLoop)))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $cLoop1)))
            ;; columns C4 … C − 1 of the band's rows
            (block $eDone
              (loop $eLoop
                (br_if $eDone (i32.ge_u (local.get $c) (local.get $C)))
                (local.set $rr (local.get $r))
                (block $e2Done
                  (loop $e2Loop
                    (br_if $e2Done (i32.ge_u (local.get $rr) (local.get $rEnd)))
                    (i32.store
                      (i32.add (i32.add (local.get $dA) (i32.mul (local.get $c) (local.get $ldD))) (i32.shl (local.get $rr) (i32.const 2)))
                      (i32.load (i32.add (i32.add (local.get $sA) (i32.mul (local.get $rr) (local.get $ldS))) (i32.shl (local.get $c) (i32.const 2)))))
                    (local.set $rr (i32.add (local.get $rr) (i32.const 1)))
                    (br $e2Loop)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $eLoop)))
            (local.set $r (local.get $rEnd))
            (br $rLoop1)))
        ;; rows R4 … R − 1, every column
        (block $fDone
          (loop $fLoop
            (br_if $fDone (i32.ge_u (local.get $r) (local.get $R)))
            (local.set $p (i32.add (local.get $sA) (i32.mul (local.get $r) (local.get $ldS))))
            (local.set $q (i32.add (local.get $dA) (i32.shl (local.get $r) (i32.const 2))))
            (local.set $c (i32.const 0))
            (block $gDone
              (loop $gLoop
                (br_if $gDone (i32.ge_u (local.get $c) (local.get $C)))
                (i32.store (local.get $q) (i32.load (local.get $p)))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (local.get $ldD)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $gLoop)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $fLoop)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $aLoop1))))

  ;; The sfc32 state of @wordloom/core's Rng (rng.ts), in and out of `dropout`.
  (global $sa (export "sa") (mut i32) (i32.const 0))
  (global $sb (export "sb") (mut i32) (i32.const 0))
  (global $sc (export "sc") (mut i32) (i32.const 0))
  (global $sd (export "sd") (mut i32) (i32.const 0))

  ;; Inverted dropout of n float32 values: dst[i] = src[i] · (u < threshold ? scale : 0), with u
  ;; the next draw of the sfc32 stream in the globals — the same draws, in the same order, as
  ;; Dropout's loop of `rng.nextUint32()` in JS, and the same products as `x · mask` (so NaN and
  ;; −0 come out as there). `threshold` = ⌈keep · 2^32⌉ as an unsigned integer (for an integer draw u,
  ;; u < keep · 2^32 exactly when u < ⌈keep · 2^32⌉).
  ;; src = dst is allowed. The globals hold the stream's next state afterwards.
  (func (export "dropout")
    (param $src i32) (param $dst i32) (param $n i32) (param $threshold i32) (param $scale f32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $t i32) (local $end i32) (local $end4 i32)
    (local $u v128) (local $thr v128) (local $sc v128)
    (local.set $a (global.get $sa))
    (local.set $b (global.get $sb))
    (local.set $c (global.get $sc))
    (local.set $d (global.get $sd))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $thr (i32x4.splat (local.get $threshold)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    ;; four draws (serial: one stream), then the four products at once; scale AND the all-ones or
    ;; all-zeros lane is scale or +0, the mask value of the JS loop
    (block $done4
      (loop $next4
        (br_if $done4 (i32.ge_u (local.get $src) (local.get $end4)))
        (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
        (local.set $u (i32x4.splat (local.get $t)))
        (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
        (local.set $u (i32x4.replace_lane 1 (local.get $u) (local.get $t)))
        (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
        (local.set $u (i32x4.replace_lane 2 (local.get $u) (local.get $t)))
        (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
        (local.set $u (i32x4.replace_lane 3 (local.get $u) (local.get $t)))
        (v128.store (local.get $dst)
          (f32x4.mul (v128.load (local.get $src))
            (v128.and (local.get $sc) (i32x4.lt_u (local.get $u) (local.get $thr)))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        ;; t = a + b + d; d += 1; a = b ^ (b >>> 9); b = c + (c << 3); c = rotl(c, 21) + t
        (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
        (f32.store (local.get $dst)
          (f32.mul (f32.load (local.get $src))
            (select (local.get $scale) (f32.const 0)
              (i32.lt_u (local.get $t) (local.get $threshold)))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $next)))
    (global.set $sa (local.get $a))
    (global.set $sb (local.get $b))
    (global.set $sc (local.get $c))
    (global.set $sd (local.get $d)))

  ;; ---- LayerNorm over rows of d values (d a multiple of 4), f32x4 ----
  ;; Row statistics in two passes (mean, then Σ(x − mean)²: no cancellation) into these globals.
  (global $mean (mut f32) (f32.const 0))
  (global $rstd (mut f32) (f32.const 0))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func $rowStats (param $x i32) (param $d i32) (param $eps f32)
    (local $p i32) (local $end i32) (local $acc v128) (local $m v128) (local $t v128) (local $mean f32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 2))))
    (local.set $p (local.get $x))
    (local.set $acc (v128.const i64x2 0 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (local.set $mean (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $d))))
    (local.set $m (f32x4.splat (local.get $mean)))
    (local.set $p (local.get $x))
    (local.set $acc (v128.const i64x2 0 0))
    (block $done2
      (loop $next2
        (br_if $done2 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $t (f32x4.sub (v128.load (local.get $p)) (local.get $m)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $t) (local.get $t))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next2)))
    (global.set $mean (local.get $mean))
    (global.set $rstd
      (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $d))) (local.get $eps))))))

  ;; y = (x − mean) · rstd · g + b per row (g, b of d values when affine ≠ 0).
  (func (export "layerNorm")
    (param $x i32) (param $g i32) (param $b i32) (param $y i32) (param $rows i32) (param $d i32)
    (param $eps f32) (param $affine i32)
    (local $r i32) (local $j i32) (local $bytes i32) (local $m v128) (local $s v128) (local $v v128)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (call $rowStats (local.get $x) (local.get $d) (local.get $eps))
        (local.set $m (f32x4.splat (global.get $mean)))
        (local.set $s (f32x4.splat (global.get $rstd)))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $v
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $m)) (local.get $s)))
            (if (local.get $affine)
              (then
                (local.set $v
                  (f32x4.add
                    (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $g) (local.get $j))))
                    (v128.load (i32.add (local.get $b) (local.get $j)))))))
            (v128.store (i32.add (local.get $y) (local.get $j)) (local.get $v))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $jLoop)))
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

  ;; The backward pass, statistics recomputed per row: with x̂ = (x − mean)·rstd and ĝ = dy·g,
  ;; dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ·x̂)); when affine, dg += Σ_rows dy·x̂ and db += Σ_rows dy,
  ;; accumulated in float64 (dg, db: d doubles each, zeroed by the caller).
  (func (export "layerNormBackward")
    (param $dy i32) (param $x i32) (param $g i32) (param $dx i32) (param $dg i32) (param $db i32)
    (param $rows i32) (param $d i32) (param $eps f32) (param $affine i32)
    (local $r i32) (local $j i32) (local $j2 i32) (local $bytes i32)
    (local $m v128) (local $s v128) (local $xh v128) (local $gy v128) (local $dyv v128)
    (local $s1 v128) (local $s2 v128) (local $m1 v128) (local $m2 v128) (local $t v128) (local $dinv f32)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $dinv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $d))))
    (local.set $r (i32.const 0))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (call $rowStats (local.get $x) (local.get $d) (local.get $eps))
        (local.set $m (f32x4.splat (global.get $mean)))
        (local.set $s (f32x4.splat (global.get $rstd)))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $xh
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $m)) (local.get $s)))
            (local.set $dyv (v128.load (i32.add (local.get $dy) (local.get $j))))
            (local.set $gy (local.get $dyv))
            (if (local.get $affine)
              (then
                (local.set $gy (f32x4.mul (local.get $dyv) (v128.load (i32.add (local.get $g) (local.get $j)))))
                ;; float64 sums: byte offset 2·j into dg and db
                (local.set $j2 (i32.shl (local.get $j) (i32.const 1)))
                (local.set $t (f32x4.mul (local.get $dyv) (local.get $xh)))
                (v128.store (i32.add (local.get $dg) (local.get $j2))
                  (f64x2.add (v128.load (i32.add (local.get $dg) (local.get $j2))) (f64x2.promote_low_f32x4 (local.get $t))))
                (v128.store offset=16 (i32.add (local.get $dg) (local.get $j2))
                  (f64x2.add (v128.load offset=16 (i32.add (local.get $dg) (local.get $j2)))
                    (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t)))))
                (v128.store (i32.add (local.get $db) (local.get $j2))
                  (f64x2.add (v128.load (i32.add (local.get $db) (local.get $j2))) (f64x2.promote_low_f32x4 (local.get $dyv))))
                (v128.store offset=16 (i32.add (local.get $db) (local.get $j2))
                  (f64x2.add (v128.load offset=16 (i32.add (local.get $db) (local.get $j2)))
                    (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $dyv) (local.get $dyv)))))))
            (local.set $s1 (f32x4.add (local.get $s1) (local.get $gy)))
            (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $gy) (local.get $xh))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $jLoop)))
        (local.set $m1 (f32x4.splat (f32.mul (call $hsum (local.get $s1)) (local.get $dinv))))
        (local.set $m2 (f32x4.splat (f32.mul (call $hsum (local.get $s2)) (local.get $dinv))))
        (local.set $j (i32.const 0))
        (block $kDone
          (loop $kLoop
            (br_if $kDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $xh
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $m)) (local.get $s)))
            (local.set $gy (v128.load (i32.add (local.get $dy) (local.get $j))))
            (if (local.get $affine)
              (then (local.set $gy (f32x4.mul (local.get $gy) (v128.load (i32.add (local.get $g) (local.get $j)))))))
            (v128.store (i32.add (local.get $dx) (local.get $j))
              (f32x4.mul (local.get $s)
                (f32x4.sub (f32x4.sub (local.get $gy) (local.get $m1)) (f32x4.mul (local.get $xh) (local.get $m2)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $kLoop)))
        (local.set $x (i32.add (local.get $x) (local.get $bytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $bytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

  ;; Softmax's backward over rows of n values (n a multiple of 4): dx = y ⊙ (dy − Σ_row y ⊙ dy).
  (func (export "softmaxBackward") (param $y i32) (param $dy i32) (param $dx i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $j i32) (local $bytes i32) (local $acc v128) (local $sv v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $j))) (v128.load (i32.add (local.get $dy) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $jLoop)))
        (local.set $sv (f32x4.splat (call $hsum (local.get $acc))))
        (local.set $j (i32.const 0))
        (block $kDone
          (loop $kLoop
            (br_if $kDone (i32.ge_u (local.get $j) (local.get $bytes)))
            (v128.store (i32.add (local.get $dx) (local.get $j))
              (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $j)))
                (f32x4.sub (v128.load (i32.add (local.get $dy) (local.get $j))) (local.get $sv))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $kLoop)))
        (local.set $y (i32.add (local.get $y) (local.get $bytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $bytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $bytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))
)
