;; GloVe AdaGrad epoch over co-occurrence entries in WebAssembly SIMD (f64x2), as glove.c's
;; glove_thread. Compiled by tooling/golden/embeddings/build_wasm.mjs into glove-simd-wasm.ts.
;; Byte offsets into the imported shared memory. Rows: 2V of `stride` doubles (vector padded to
;; `dp` (even) doubles, bias at [dp]); W's padding is 0 and G's is 1, so padding never changes.
(module
  (import "env" "mem" (memory 1 65536 shared))

  ;; one direction: word row l1 (G g1), context row l2 (G g2); returns the cost term (or 0 if skipped)
  (func $upd (param $l1 i32) (param $l2 i32) (param $g1 i32) (param $g2 i32) (param $dp i32)
             (param $lx f64) (param $wgt f64) (param $eta f64) (result f64)
    (local $acc v128) (local $k i32) (local $diff f64) (local $fdiff f64) (local $fv v128)
    (local $w1 v128) (local $w2 v128) (local $t1 v128) (local $t2 v128) (local $o i32) (local $cost f64) (local $tb f64)
    (block $dd
      (loop $ld
        (br_if $dd (i32.ge_u (local.get $k) (local.get $dp)))
        (local.set $o (i32.shl (local.get $k) (i32.const 3)))
        (local.set $acc (f64x2.add (local.get $acc)
          (f64x2.mul (v128.load (i32.add (local.get $l1) (local.get $o))) (v128.load (i32.add (local.get $l2) (local.get $o))))))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $ld)))
    (local.set $o (i32.shl (local.get $dp) (i32.const 3)))
    (local.set $diff (f64.sub
      (f64.add
        (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))
        (f64.add (f64.load (i32.add (local.get $l1) (local.get $o))) (f64.load (i32.add (local.get $l2) (local.get $o)))))
      (local.get $lx)))
    (local.set $fdiff (f64.mul (local.get $wgt) (local.get $diff)))
    ;; glove.c skips NaN/inf updates
    (if (f64.ne (f64.sub (local.get $fdiff) (local.get $fdiff)) (f64.const 0)) (then (return (f64.const 0))))
    (local.set $cost (f64.mul (f64.mul (f64.const 0.5) (local.get $fdiff)) (local.get $diff)))
    (local.set $fdiff (f64.mul (local.get $fdiff) (local.get $eta)))
    (local.set $fv (f64x2.splat (local.get $fdiff)))
    (local.set $k (i32.const 0))
    (block $du
      (loop $lu
        (br_if $du (i32.ge_u (local.get $k) (local.get $dp)))
        (local.set $o (i32.shl (local.get $k) (i32.const 3)))
        (local.set $w1 (v128.load (i32.add (local.get $l1) (local.get $o))))
        (local.set $w2 (v128.load (i32.add (local.get $l2) (local.get $o))))
        (local.set $t1 (f64x2.mul (local.get $fv) (local.get $w2)))
        (local.set $t2 (f64x2.mul (local.get $fv) (local.get $w1)))
        (v128.store (i32.add (local.get $l1) (local.get $o))
          (f64x2.sub (local.get $w1) (f64x2.div (local.get $t1) (f64x2.sqrt (v128.load (i32.add (local.get $g1) (local.get $o)))))))
        (v128.store (i32.add (local.get $l2) (local.get $o))
          (f64x2.sub (local.get $w2) (f64x2.div (local.get $t2) (f64x2.sqrt (v128.load (i32.add (local.get $g2) (local.get $o)))))))
        (v128.store (i32.add (local.get $g1) (local.get $o))
          (f64x2.add (v128.load (i32.add (local.get $g1) (local.get $o))) (f64x2.mul (local.get $t1) (local.get $t1))))
        (v128.store (i32.add (local.get $g2) (local.get $o))
          (f64x2.add (v128.load (i32.add (local.get $g2) (local.get $o))) (f64x2.mul (local.get $t2) (local.get $t2))))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $lu)))
    ;; biases
    (local.set $o (i32.shl (local.get $dp) (i32.const 3)))
    (f64.store (i32.add (local.get $l1) (local.get $o)) (f64.sub (f64.load (i32.add (local.get $l1) (local.get $o)))
      (f64.div (local.get $fdiff) (f64.sqrt (f64.load (i32.add (local.get $g1) (local.get $o)))))))
    (f64.store (i32.add (local.get $l2) (local.get $o)) (f64.sub (f64.load (i32.add (local.get $l2) (local.get $o)))
      (f64.div (local.get $fdiff) (f64.sqrt (f64.load (i32.add (local.get $g2) (local.get $o)))))))
    (local.set $tb (f64.mul (local.get $fdiff) (local.get $fdiff)))
    (f64.store (i32.add (local.get $g1) (local.get $o)) (f64.add (f64.load (i32.add (local.get $g1) (local.get $o))) (local.get $tb)))
    (f64.store (i32.add (local.get $g2) (local.get $o)) (f64.add (f64.load (i32.add (local.get $g2) (local.get $o))) (local.get $tb)))
    (local.get $cost))

  ;; entries order[t] for t in [begin, end): rows/cols int32, lx/wgt f64 (log x and f(x));
  ;; a stored pair (a <= b) updates (a,b) and, when a != b, (b,a). Returns the summed cost.
  (func (export "epoch") (param $rows i32) (param $cols i32) (param $lxs i32) (param $wgts i32) (param $order i32)
        (param $begin i32) (param $end i32) (param $W i32) (param $G i32) (param $stride i32) (param $dp i32)
        (param $V i32) (param $eta f64) (result f64)
    (local $t i32) (local $e i32) (local $a i32) (local $b i32) (local $lx f64) (local $wgt f64) (local $cost f64)
    (local $rb i32) (local $ca i32) (local $cb i32) (local $wa i32) (local $wb i32)
    (local.set $rb (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $t (local.get $begin))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $e (i32.load (i32.add (local.get $order) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $a (i32.load (i32.add (local.get $rows) (i32.shl (local.get $e) (i32.const 2)))))
        (local.set $b (i32.load (i32.add (local.get $cols) (i32.shl (local.get $e) (i32.const 2)))))
        (local.set $lx (f64.load (i32.add (local.get $lxs) (i32.shl (local.get $e) (i32.const 3)))))
        (local.set $wgt (f64.load (i32.add (local.get $wgts) (i32.shl (local.get $e) (i32.const 3)))))
        ;; word rows at a, b; context rows at a+V, b+V
        (local.set $wa (i32.mul (local.get $a) (local.get $rb)))
        (local.set $wb (i32.mul (local.get $b) (local.get $rb)))
        (local.set $ca (i32.mul (i32.add (local.get $a) (local.get $V)) (local.get $rb)))
        (local.set $cb (i32.mul (i32.add (local.get $b) (local.get $V)) (local.get $rb)))
        (local.set $cost (f64.add (local.get $cost)
          (call $upd (i32.add (local.get $W) (local.get $wa)) (i32.add (local.get $W) (local.get $cb))
                     (i32.add (local.get $G) (local.get $wa)) (i32.add (local.get $G) (local.get $cb))
                     (local.get $dp) (local.get $lx) (local.get $wgt) (local.get $eta))))
        (if (i32.ne (local.get $a) (local.get $b))
          (then
            (local.set $cost (f64.add (local.get $cost)
              (call $upd (i32.add (local.get $W) (local.get $wb)) (i32.add (local.get $W) (local.get $ca))
                         (i32.add (local.get $G) (local.get $wb)) (i32.add (local.get $G) (local.get $ca))
                         (local.get $dp) (local.get $lx) (local.get $wgt) (local.get $eta))))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $l)))
    (local.get $cost))
)
