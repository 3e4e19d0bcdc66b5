;; Batched single-precision matrix product in WebAssembly 128-bit SIMD (f32x4), for
;; @wordloom/core's batchMatMul on the wasm backend. Compiled by packages/core/scripts/generate.mjs
;; (wabt) into matmul-simd-wasm.ts.
;;
;; C[b] = A[b] · B[b] for b < batch, on operands that the caller (matmul-kernel.ts) has packed
;; into panels, so that transposes and odd sizes are handled once, while packing:
;;   A: [batch][M4][K][4]  — four rows of A side by side for each k (rows past M are zero)
;;   B: [batch][N8][K][8]  — eight columns of B side by side for each k (columns past N are zero)
;;   C: [batch][4·M4][8·N8] row-major (the caller copies out the M × N corner)
;; The micro-kernel keeps a 4 × 8 block of C in eight f32x4 registers; per k it loads eight
;; values of B (two v128) and broadcasts four of A (v128.load32_splat): 64 flops per 6 loads.
;; `packA`, `packB` and `unpackC` convert between plain row-major operands and that layout
;; (transposes through strides, zero padding); everything runs inside the module, so the caller
;; only copies whole arrays in and out. All addresses are byte offsets into the imported memory.
;; `scripts/generate.mjs` compiles this file twice: as written (on a module's own memory, or on
;; tfjs-backend-wasm's heap) and with the memory import made shared — `(memory 1 65536 shared)`,
;; the threads proposal — for the intra-op pool (src/internal/pool.ts), whose workers instantiate
;; that copy on one shared memory (matmul-simd-shared-wasm.ts).
(module
  (import "env" "mem" (memory 1))

  (func (export "bgemm")
    (param $ap i32) (param $bp i32) (param $c i32)
    (param $batch i32) (param $M4 i32) (param $N8 i32) (param $K i32)
    (call $bgemmPart (local.get $ap) (local.get $bp) (local.get $c) (local.get $M4) (local.get $N8) (local.get $K)
      (i32.const 0) (i32.mul (local.get $batch) (local.get $M4))))

  ;; Blocks u0 … u1 − 1 of the batched product, block u = q·M4 + ib being rows 4·ib … 4·ib + 3 of
  ;; product q (all 8·N8 columns); same operands and layout as `bgemm`, which is the whole range.
  ;; The intra-op pool (pool.ts) gives each thread its own range: every 4 × 8 block is computed by
  ;; the same instructions in the same order whoever runs it, so the result does not depend on the
  ;; split (bitwise).
  (func $bgemmPart (export "bgemmPart")
    (param $ap i32) (param $bp i32) (param $c i32)
    (param $M4 i32) (param $N8 i32) (param $K i32) (param $u0 i32) (param $u1 i32)
    (local $b i32) (local $bEnd i32) (local $base i32) (local $i0 i32) (local $i1 i32)
    (local $ib i32) (local $jb i32)
    (local $aPanel i32) (local $bPanel i32) (local $a i32) (local $bk i32) (local $aEnd i32)
    (local $aBatch i32) (local $bBatch i32) (local $cBatch i32)
    (local $ldc i32) (local $cRow i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (if (i32.or (i32.ge_u (local.get $u0) (local.get $u1)) (i32.eqz (local.get $M4))) (then (return)))
    ;; bytes: one A panel K·16, one B panel K·32, one row of C N8·32
    (local.set $ldc (i32.shl (local.get $N8) (i32.const 5)))
    ;; products q = floor(u0 / M4) to ceil(u1 / M4) - 1
    (local.set $b (i32.div_u (local.get $u0) (local.get $M4)))
    (local.set $bEnd (i32.div_u (i32.add (local.get $u1) (i32.sub (local.get $M4) (i32.const 1))) (local.get $M4)))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $bEnd)))
        (local.set $aBatch
          (i32.add (local.get $ap) (i32.mul (i32.mul (local.get $b) (local.get $M4)) (i32.shl (local.get $K) (i32.const 4)))))
        (local.set $bBatch
          (i32.add (local.get $bp) (i32.mul (i32.mul (local.get $b) (local.get $N8)) (i32.shl (local.get $K) (i32.const 5)))))
        (local.set $cBatch
          (i32.add (local.get $c) (i32.mul (i32.mul (local.get $b) (i32.shl (local.get $M4) (i32.const 2))) (local.get $ldc))))
        ;; this product's row blocks in the range: i0 … i1 − 1
        (local.set $base (i32.mul (local.get $b) (local.get $M4)))
        (local.set $i0 (select (i32.sub (local.get $u0) (local.get $base)) (i32.const 0)
                               (i32.gt_u (local.get $u0) (local.get $base))))
        (local.set $i1 (i32.sub (local.get $u1) (local.get $base)))
        (if (i32.gt_u (local.get $i1) (local.get $M4)) (then (local.set $i1 (local.get $M4))))
        (local.set $jb (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $jb) (local.get $N8)))
            (local.set $bPanel
              (i32.add (local.get $bBatch) (i32.mul (local.get $jb) (i32.shl (local.get $K) (i32.const 5)))))
            (local.set $ib (local.get $i0))
            (block $iDone
              (loop $iLoop
                (br_if $iDone (i32.ge_u (local.get $ib) (local.get $i1)))
                (local.set $aPanel
                  (i32.add (local.get $aBatch) (i32.mul (local.get $ib) (i32.shl (local.get $K) (i32.const 4)))))
                (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
                (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
                (local.set $c20 (v128.const i64x2 0 0)) (local.set $c21 (v128.const i64x2 0 0))
                (local.set $c30 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0))
                (local.set $a (local.get $aPanel))
                (local.set $bk (local.get $bPanel))
                (local.set $aEnd (i32.add (local.get $aPanel) (i32.shl (local.get $K) (i32.const 4))))
                (block $kDone
                  (loop $kLoop
                    (br_if $kDone (i32.ge_u (local.get $a) (local.get $aEnd)))
                    (local.set $b0 (v128.load (local.get $bk)))
                    (local.set $b1 (v128.load offset=16 (local.get $bk)))
                    (local.set $x0 (v128.load32_splat (local.get $a)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (local.get $b1))))
                    (local.set $x1 (v128.load32_splat offset=4 (local.get $a)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x1) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x1) (local.get $b1))))
                    (local.set $x2 (v128.load32_splat offset=8 (local.get $a)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x2) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x2) (local.get $b1))))
                    (local.set $x3 (v128.load32_splat offset=12 (local.get $a)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x3) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x3) (local.get $b1))))
                    (local.set $a (i32.add (local.get $a) (i32.const 16)))
                    (local.set $bk (i32.add (local.get $bk) (i32.const 32)))
                    (br $kLoop)))
                ;; store the 4 × 8 block at rows 4·ib…, columns 8·jb…
                (local.set $cRow
                  (i32.add (local.get $cBatch)
                    (i32.add (i32.mul (i32.shl (local.get $ib) (i32.const 2)) (local.get $ldc))
                             (i32.shl (local.get $jb) (i32.const 5)))))
                (v128.store (local.get $cRow) (local.get $c00))
                (v128.store offset=16 (local.get $cRow) (local.get $c01))
                (local.set $cRow (i32.add (local.get $cRow) (local.get $ldc)))
                (v128.store (local.get $cRow) (local.get $c10))
                (v128.store offset=16 (local.get $cRow) (local.get $c11))
                (local.set $cRow (i32.add (local.get $cRow) (local.get $ldc)))
                (v128.store (local.get $cRow) (local.get $c20))
                (v128.store offset=16 (local.get $cRow) (local.get $c21))
                (local.set $cRow (i32.add (local.get $cRow) (local.get $ldc)))
                (v128.store (local.get $cRow) (local.get $c30))
                (v128.store offset=16 (local.get $cRow) (local.get $c31))
                (local.set $ib (i32.add (local.get $ib) (i32.const 1)))
                (br $iLoop)))
            (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
            (br $jLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))

  ;; A panels from a source whose element (i, k) of product q is at
  ;; src + 4·(q·M·K + i·sI + k·sK): [batch][M4][K][4], rows i >= M zero.
  (func (export "packA")
    (param $src i32) (param $dst i32) (param $batch i32) (param $M i32) (param $K i32)
    (param $sI i32) (param $sK i32)
    (local $q i32) (local $i0 i32) (local $k i32) (local $r i32) (local $i i32) (local $qs i32)
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $batch)))
      (local.set $qs (i32.add (local.get $src) (i32.shl (i32.mul (local.get $q) (i32.mul (local.get $M) (local.get $K))) (i32.const 2))))
      (local.set $i0 (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i0) (local.get $M)))
        (local.set $k (i32.const 0))
        (block $kDone (loop $kLoop
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
          (local.set $r (i32.const 0))
          (block $rDone (loop $rLoop
            (br_if $rDone (i32.ge_u (local.get $r) (i32.const 4)))
            (local.set $i (i32.add (local.get $i0) (local.get $r)))
            (f32.store (local.get $dst)
              (if (result f32) (i32.lt_u (local.get $i) (local.get $M))
                (then (f32.load (i32.add (local.get $qs)
                  (i32.shl (i32.add (i32.mul (local.get $i) (local.get $sI)) (i32.mul (local.get $k) (local.get $sK))) (i32.const 2)))))
                (else (f32.const 0))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rLoop)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kLoop)))
        (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
        (br $iLoop)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))

  ;; B panels from a source whose element (k, j) of product q is at
  ;; src + 4·(q·K·N + k·sK + j·sJ): [batch][N8][K][8], columns j >= N zero. With sJ = 1 and a
  ;; whole run of 8 columns, the run is copied as two v128.
  (func (export "packB")
    (param $src i32) (param $dst i32) (param $batch i32) (param $K i32) (param $N i32)
    (param $sK i32) (param $sJ i32)
    (local $q i32) (local $j0 i32) (local $k i32) (local $l i32) (local $j i32) (local $qs i32)
    (local $p i32) (local $whole i32)
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $batch)))
      (local.set $qs (i32.add (local.get $src) (i32.shl (i32.mul (local.get $q) (i32.mul (local.get $K) (local.get $N))) (i32.const 2))))
      (local.set $j0 (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j0) (local.get $N)))
        (local.set $whole (i32.and (i32.eq (local.get $sJ) (i32.const 1))
                                   (i32.le_u (i32.add (local.get $j0) (i32.const 8)) (local.get $N))))
        (local.set $k (i32.const 0))
        (block $kDone (loop $kLoop
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $K)))
          (if (local.get $whole)
            (then
              (local.set $p (i32.add (local.get $qs)
                (i32.shl (i32.add (i32.mul (local.get $k) (local.get $sK)) (local.get $j0)) (i32.const 2))))
              (v128.store (local.get $dst) (v128.load (local.get $p)))
              (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $p)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 32))))
            (else
              (local.set $l (i32.const 0))
              (block $lDone (loop $lLoop
                (br_if $lDone (i32.ge_u (local.get $l) (i32.const 8)))
                (local.set $j (i32.add (local.get $j0) (local.get $l)))
                (f32.store (local.get $dst)
                  (if (result f32) (i32.lt_u (local.get $j) (local.get $N))
                    (then (f32.load (i32.add (local.get $qs)
                      (i32.shl (i32.add (i32.mul (local.get $k) (local.get $sK)) (i32.mul (local.get $j) (local.get $sJ))) (i32.const 2)))))
                    (else (f32.const 0))))
                (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                (local.set $l (i32.add (local.get $l) (i32.const 1)))
                (br $lLoop)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kLoop)))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $jLoop)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))

  ;; The M × N corner of each padded [rows][ldc] product block into a dense [batch][M][N] at dst
  ;; (dst below src: copying forward row by row never overwrites unread rows).
  (func (export "unpackC")
    (param $src i32) (param $dst i32) (param $batch i32) (param $M i32) (param $N i32)
    (param $rows i32) (param $ldc i32)
    (local $q i32) (local $i i32) (local $row i32) (local $nb i32) (local $lb i32)
    (local.set $nb (i32.shl (local.get $N) (i32.const 2)))
    (local.set $lb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_u (local.get $q) (local.get $batch)))
      (local.set $row (i32.add (local.get $src) (i32.mul (i32.mul (local.get $q) (local.get $rows)) (local.get $lb))))
      (local.set $i (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $M)))
        (memory.copy (local.get $dst) (local.get $row) (local.get $nb))
        (local.set $dst (i32.add (local.get $dst) (local.get $nb)))
        (local.set $row (i32.add (local.get $row) (local.get $lb)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop))))
)
