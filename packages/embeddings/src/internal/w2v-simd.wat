;; word2vec inner loops in WebAssembly SIMD (f32x4). Compiled by
;; tooling/golden/embeddings/build_wasm.mjs (wabt) into w2v-simd-wasm.ts (base64).
;; All offsets are byte offsets into the imported (shared) memory; vector lengths `n` are
;; multiples of 8 (rows are padded with zeros, which stay zero under every update here).
(module
  (import "env" "mem" (memory 1 65536 shared))

  ;; dot product: 16 floats an iteration into four accumulators (add latency, loop overhead),
  ;; then one 8-float step for the rest (n is a multiple of 8)
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        ;; (not a >= end - 48: that wraps below address 48, e.g. row 0 with dim 8)
        (br_if $done (i32.gt_u (i32.add (local.get $a) (i32.const 64)) (local.get $end)))
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $acc2 (f32x4.add (local.get $acc2)
          (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))))
        (local.set $acc3 (f32x4.add (local.get $acc3)
          (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $l)))
    (if (i32.lt_u (local.get $a) (local.get $end))
      (then
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))))
    (local.set $acc0 (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc2)) (f32x4.add (local.get $acc1) (local.get $acc3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))

  ;; work += g * out ; out += g * in   (reads the old `out` for both)
  (func $upd (param $work i32) (param $out i32) (param $in i32) (param $g f32) (param $n i32)
    (local $gv v128) (local $o v128) (local $end i32)
    (local.set $gv (f32x4.splat (local.get $g)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $o (v128.load (local.get $out)))
        (v128.store (local.get $work)
          (f32x4.add (v128.load (local.get $work)) (f32x4.mul (local.get $gv) (local.get $o))))
        (v128.store (local.get $out)
          (f32x4.add (local.get $o) (f32x4.mul (local.get $gv) (v128.load (local.get $in)))))
        (local.set $work (i32.add (local.get $work) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $in (i32.add (local.get $in) (i32.const 16)))
        (br $l))))

  ;; dst += src; then src = 0 when $zero != 0
  (func (export "addz") (param $dst i32) (param $src i32) (param $n i32) (param $zero i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (if (local.get $zero) (then (v128.store (local.get $src) (v128.const i32x4 0 0 0 0))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $l))))

  ;; dst += src (n floats)
  (func $add (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $l))))

  ;; dst = Σ_t row(idx[t]) over t < cnt (CBOW input), rows at base + idx*dim*4
  (func (export "gather_sum") (param $dst i32) (param $base i32) (param $idx i32) (param $cnt i32) (param $dim i32)
    (local $t i32) (local $p i32) (local $end i32)
    (local.set $p (local.get $dst))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $dim) (i32.const 2))))
    (block $z
      (loop $lz
        (br_if $z (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $lz)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $t) (local.get $cnt)))
        (call $add (local.get $dst)
          (i32.add (local.get $base)
            (i32.shl (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $t) (i32.const 2)))) (local.get $dim))
                     (i32.const 2)))
          (local.get $dim))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $l))))

  ;; row(idx[t]) += src for t < cnt (CBOW update of the context rows)
  (func (export "scatter_add") (param $base i32) (param $idx i32) (param $cnt i32) (param $src i32) (param $dim i32)
    (local $t i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $t) (local.get $cnt)))
        (call $add
          (i32.add (local.get $base)
            (i32.shl (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $t) (i32.const 2)))) (local.get $dim))
                     (i32.const 2)))
          (local.get $src) (local.get $dim))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $l))))

  ;; dst *= s
  (func (export "scale") (param $dst i32) (param $s f32) (param $n i32)
    (local $sv v128) (local $end i32)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst) (f32x4.mul (v128.load (local.get $dst)) (local.get $sv)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $l))))

  ;; For t < cnt: row = outBase + tgt[t]*dim*4, label = lab[t]; f = in·row;
  ;; g = (label - sigmoid(f)) * alpha via the table; outside ±6: skipped when $hs != 0 (gensim for
  ;; both HS and NS), else clipped to label - 0/1 (word2vec.c's NS);
  ;; work += g*row; row += g*in. Returns the summed -log sigmoid(±f) (loss).
  (func (export "train") (param $in i32) (param $outBase i32) (param $tgt i32) (param $lab i32) (param $cnt i32)
        (param $work i32) (param $dim i32) (param $alpha f32) (param $exp i32) (param $logt i32) (param $hs i32)
        (result f32)
    (local $t i32) (local $row i32) (local $f f32) (local $g f32) (local $label f32) (local $ff f32) (local $loss f32)
    (local $p i32) (local $end i32)
    ;; Touch every cache line of every target row first: the loads are independent, so the
    ;; rows (mostly out of L1, rare ones out of L2) arrive in parallel instead of one row per
    ;; dot product. Same arithmetic, same order of updates.
    (block $tdone
      (loop $tl
        (br_if $tdone (i32.ge_u (local.get $t) (local.get $cnt)))
        (local.set $p (i32.add (local.get $outBase)
          (i32.shl (i32.mul (i32.load (i32.add (local.get $tgt) (i32.shl (local.get $t) (i32.const 2)))) (local.get $dim))
                   (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $dim) (i32.const 2))))
        (block $rdone
          (loop $rl
            (br_if $rdone (i32.ge_u (local.get $p) (local.get $end)))
            (drop (i32.load (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (br $rl)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tl)))
    (local.set $t (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $t) (local.get $cnt)))
        (local.set $row (i32.add (local.get $outBase)
          (i32.shl (i32.mul (i32.load (i32.add (local.get $tgt) (i32.shl (local.get $t) (i32.const 2)))) (local.get $dim))
                   (i32.const 2))))
        (local.set $label (f32.load (i32.add (local.get $lab) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $f (call $dot (local.get $in) (local.get $row) (local.get $dim)))
        (local.set $ff (select (local.get $f) (f32.neg (local.get $f)) (f32.eq (local.get $label) (f32.const 1))))
        (if (f32.le (local.get $ff) (f32.const -6))
          (then (local.set $loss (f32.sub (local.get $loss) (local.get $ff))))
          (else
            (if (f32.lt (local.get $ff) (f32.const 6))
              (then
                (local.set $loss (f32.sub (local.get $loss)
                  (f32.load (i32.add (local.get $logt)
                    (i32.shl (i32.trunc_f32_s (f32.mul (f32.add (local.get $ff) (f32.const 6)) (f32.const 83.333333333)))
                             (i32.const 2))))))))))
        (block $skip
          (if (f32.gt (local.get $f) (f32.const 6))
            (then
              (br_if $skip (local.get $hs))
              (local.set $g (f32.mul (f32.sub (local.get $label) (f32.const 1)) (local.get $alpha))))
            (else
              (if (f32.lt (local.get $f) (f32.const -6))
                (then
                  (br_if $skip (local.get $hs))
                  (local.set $g (f32.mul (local.get $label) (local.get $alpha))))
                (else
                  (local.set $g (f32.mul
                    (f32.sub (local.get $label)
                      (f32.load (i32.add (local.get $exp)
                        (i32.shl (i32.trunc_f32_s (f32.mul (f32.add (local.get $f) (f32.const 6)) (f32.const 83.333333333)))
                                 (i32.const 2)))))
                    (local.get $alpha)))))))
          (call $upd (local.get $work) (local.get $row) (local.get $in) (local.get $g) (local.get $dim)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $l)))
    (local.get $loss))
)
