;; The element-wise part of one LSTM or GRU time step, forward and backward, in WebAssembly 128-bit SIMD
;; (f32x4), for the fused LSTM and GRU ops of fused-lstm.ts. Compiled by packages/rnn/scripts/generate.mjs
;; (wabt) into lstm-simd-wasm.ts. Gate order is PyTorch's (LSTM i, f, g, o; GRU r, z, n). H is a
;; multiple of 4.
;; All pointers are byte offsets into the imported memory; rows are row-major.
;; The gates of a row of x (forward) and dx (backward) are `xs` bytes apart and its rows `xr` bytes
;; apart: xs = N·H·4, xr = H·4 when x is G blocks [N, H] one after the other (gate k's rows at
;; x + k·xs); xs = H·4, xr = G·H·4 when x is one [N, G·H] with the gates side by side (a layer's
;; single input projection, read and written in place: no copy that takes it apart).
(module
  (import "env" "mem" (memory 1))

  ;; e^x for four lanes: x = n·ln2 + r, |r| <= ln2/2, e^r by Cephes' degree-6 polynomial (expf),
  ;; 2^n through the exponent bits; x is clamped to [-87, 88] (no overflow, no denormals).
  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (v128.const f32x4 -87 -87 -87 -87))
                             (v128.const f32x4 88 88 88 88)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x)
      (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n)
      (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n)
      (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r))
      (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; p·r² + r + 1
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r)))
                                        (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127))
                 (i32.const 23))))

  ;; σ(x) = 1 / (1 + e^-x)
  (func $sigmoid (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp (f32x4.neg (local.get $x))))))

  ;; tanh(x) = 2·σ(2x) − 1
  (func $tanh (param $x v128) (result v128)
    (f32x4.sub
      (f32x4.mul (v128.const f32x4 2 2 2 2) (call $sigmoid (f32x4.add (local.get $x) (local.get $x))))
      (v128.const f32x4 1 1 1 1)))

  ;; Forward of n rows: pre = x_k + bias_k + g_k for gate k, where x is four [n, H] blocks (the
  ;; input projections of gates i, f, g, o, one after the other), bias [4H] and g [n, 4H] (the
  ;; recurrent products, gates side by side); i, f, o = σ, g = tanh; c = f·cPrev + i·g; h = o·tanh(c).
  ;; Writes h, c [n, H] and the saved [n, 5H] = (i, f, g, o, tanh c) of every row.
  (func (export "lstmForward")
    (param $x i32) (param $bias i32) (param $g i32) (param $cPrev i32) (param $h i32) (param $c i32) (param $s i32)
    (param $n i32) (param $H i32) (param $xs i32) (param $xr i32)
    (local $r i32) (local $j i32) (local $hb i32) (local $a i32) (local $b i32) (local $xa i32) (local $ba i32)
    (local $nhb i32)
    (local $vi v128) (local $vf v128) (local $vg v128) (local $vo v128) (local $vc v128) (local $tc v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2))) ;; bytes of H floats
    (local.set $nhb (local.get $xs)) ;; bytes between the x blocks (n·H·4 when they are packed)
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $hb)))
        ;; $a: gate i of this column in the [n, 4H] rows; gate k at $a + k·hb
        ;; $a: gate i of this column in g's [n, 4H] rows (gate k at $a + k·hb); $b: this column in
        ;; the [n, H] rows; $xa: in x's first block (gate k at $xa + k·nhb); $ba: in bias (k at + k·hb)
        (local.set $a (i32.add (local.get $g) (i32.add (i32.mul (local.get $r) (i32.shl (local.get $hb) (i32.const 2))) (local.get $j))))
        (local.set $b (i32.add (i32.mul (local.get $r) (local.get $hb)) (local.get $j)))
        (local.set $xa (i32.add (local.get $x) (i32.add (i32.mul (local.get $r) (local.get $xr)) (local.get $j))))
        (local.set $ba (i32.add (local.get $bias) (local.get $j)))
        (local.set $vi (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $nhb)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vf (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $nhb)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vg (call $tanh (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                              (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $nhb)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vo (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $vc (f32x4.add (f32x4.mul (local.get $vf) (v128.load (i32.add (local.get $cPrev) (local.get $b))))
                                  (f32x4.mul (local.get $vi) (local.get $vg))))
        (local.set $tc (call $tanh (local.get $vc)))
        (v128.store (i32.add (local.get $c) (local.get $b)) (local.get $vc))
        (v128.store (i32.add (local.get $h) (local.get $b)) (f32x4.mul (local.get $vo) (local.get $tc)))
        ;; saved: row r of [n, 5H]
        (local.set $a (i32.add (i32.add (local.get $s) (i32.mul (local.get $r) (i32.mul (local.get $hb) (i32.const 5))))
                               (local.get $j)))
        (v128.store (local.get $a) (local.get $vi))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (v128.store (local.get $a) (local.get $vf))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (v128.store (local.get $a) (local.get $vg))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (v128.store (local.get $a) (local.get $vo))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (v128.store (local.get $a) (local.get $tc))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))

  ;; Backward of n rows from the saved (i, f, g, o, tanh c) [n, 5H], cPrev [n, H], the gradient
  ;; reaching h as dy + dh ([n, H] each: the step's output, the carried part) and dc [n, H]
  ;; (carried into c):
  ;;   dc' = dc + dh·o·(1 − tanh²c); d(pre) = (dc'·g·σ'(i), dc'·cPrev·σ'(f), dc'·i·(1 − g²), dh·tanh c·σ'(o))
  ;; with σ' = σ − σ². Writes d(pre) [n, 4H] (gates side by side), the same as four [n, H] blocks
  ;; at dx (the gradients of the input projections), and dcPrev = dc'·f [n, H].
  (func (export "lstmBackward")
    (param $s i32) (param $cPrev i32) (param $dy i32) (param $dh i32) (param $dc i32) (param $dpre i32)
    (param $dx i32) (param $dcPrev i32) (param $n i32) (param $H i32) (param $xs i32) (param $xr i32)
    (local $r i32) (local $j i32) (local $hb i32) (local $a i32) (local $b i32) (local $p i32)
    (local $q i32) (local $nhb i32) (local $d v128)
    (local $vi v128) (local $vf v128) (local $vg v128) (local $vo v128) (local $tc v128)
    (local $dhv v128) (local $dct v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $nhb (local.get $xs)) ;; bytes between the dx blocks
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $a (i32.add (i32.add (local.get $s) (i32.mul (local.get $r) (i32.mul (local.get $hb) (i32.const 5))))
                               (local.get $j)))
        (local.set $vi (v128.load (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $vf (v128.load (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $vg (v128.load (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $vo (v128.load (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $tc (v128.load (local.get $a)))
        (local.set $b (i32.add (i32.mul (local.get $r) (local.get $hb)) (local.get $j)))
        (local.set $dhv (f32x4.add (v128.load (i32.add (local.get $dy) (local.get $b)))
                                   (v128.load (i32.add (local.get $dh) (local.get $b)))))
        (local.set $q (i32.add (local.get $dx) (i32.add (i32.mul (local.get $r) (local.get $xr)) (local.get $j))))
        (local.set $dct (f32x4.add (v128.load (i32.add (local.get $dc) (local.get $b)))
          (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $vo))
                     (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $tc) (local.get $tc))))))
        (v128.store (i32.add (local.get $dcPrev) (local.get $b)) (f32x4.mul (local.get $dct) (local.get $vf)))
        (local.set $p (i32.add (local.get $dpre)
          (i32.add (i32.mul (local.get $r) (i32.shl (local.get $hb) (i32.const 2))) (local.get $j))))
        ;; i
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dct) (local.get $vg))
          (f32x4.sub (local.get $vi) (f32x4.mul (local.get $vi) (local.get $vi)))))
        (v128.store (local.get $p) (local.get $d))
        (v128.store (local.get $q) (local.get $d))
        ;; f
        (local.set $p (i32.add (local.get $p) (local.get $hb)))
        (local.set $q (i32.add (local.get $q) (local.get $nhb)))
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dct) (v128.load (i32.add (local.get $cPrev) (local.get $b))))
          (f32x4.sub (local.get $vf) (f32x4.mul (local.get $vf) (local.get $vf)))))
        (v128.store (local.get $p) (local.get $d))
        (v128.store (local.get $q) (local.get $d))
        ;; g
        (local.set $p (i32.add (local.get $p) (local.get $hb)))
        (local.set $q (i32.add (local.get $q) (local.get $nhb)))
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dct) (local.get $vi))
          (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $vg) (local.get $vg)))))
        (v128.store (local.get $p) (local.get $d))
        (v128.store (local.get $q) (local.get $d))
        ;; o
        (local.set $p (i32.add (local.get $p) (local.get $hb)))
        (local.set $q (i32.add (local.get $q) (local.get $nhb)))
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $tc))
          (f32x4.sub (local.get $vo) (f32x4.mul (local.get $vo) (local.get $vo)))))
        (v128.store (local.get $p) (local.get $d))
        (v128.store (local.get $q) (local.get $d))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))

  ;; GRU forward of n rows (PyTorch): r = σ(x_r + b_r + g_r), z = σ(x_z + b_z + g_z),
  ;; hn = g_n + b_hn, n = tanh(x_n + b_n + r·hn), h = n + z·(hPrev − n). x is three [n, H] blocks
  ;; (r, z, n), bias [3H], bhn [H], g [n, 3H] (h·[W_hr; W_hz; W_hn]ᵀ). Writes h [n, H] and the
  ;; saved [n, 4H] = (r, z, hn, n).
  (func (export "gruForward")
    (param $x i32) (param $bias i32) (param $bhn i32) (param $g i32) (param $hPrev i32) (param $h i32)
    (param $s i32) (param $n i32) (param $H i32) (param $xs i32) (param $xr i32)
    (local $r i32) (local $j i32) (local $hb i32) (local $nhb i32) (local $a i32) (local $b i32)
    (local $xa i32) (local $ba i32)
    (local $vr v128) (local $vz v128) (local $vhn v128) (local $vn v128) (local $hp v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $nhb (local.get $xs)) ;; bytes between the x blocks
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $a (i32.add (local.get $g) (i32.add (i32.mul (local.get $r) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j))))
        (local.set $b (i32.add (i32.mul (local.get $r) (local.get $hb)) (local.get $j)))
        (local.set $xa (i32.add (local.get $x) (i32.add (i32.mul (local.get $r) (local.get $xr)) (local.get $j))))
        (local.set $ba (i32.add (local.get $bias) (local.get $j)))
        (local.set $vr (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $nhb)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vz (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $nhb)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vhn (f32x4.add (v128.load (local.get $a)) (v128.load (i32.add (local.get $bhn) (local.get $j)))))
        (local.set $vn (call $tanh (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                              (f32x4.mul (local.get $vr) (local.get $vhn)))))
        (local.set $hp (v128.load (i32.add (local.get $hPrev) (local.get $b))))
        (v128.store (i32.add (local.get $h) (local.get $b))
          (f32x4.add (local.get $vn) (f32x4.mul (local.get $vz) (f32x4.sub (local.get $hp) (local.get $vn)))))
        (local.set $a (i32.add (i32.add (local.get $s) (i32.mul (local.get $r) (i32.shl (local.get $hb) (i32.const 2))))
                               (local.get $j)))
        (v128.store (local.get $a) (local.get $vr))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (v128.store (local.get $a) (local.get $vz))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (v128.store (local.get $a) (local.get $vhn))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (v128.store (local.get $a) (local.get $vn))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))

  ;; GRU backward of n rows from the saved (r, z, hn, n) [n, 4H], hPrev [n, H] and the gradient
  ;; reaching h as dy + dhA + dhB ([n, H] each). With dh = that sum:
  ;;   dN = dh·(1 − z)·(1 − n²), pz = dh·(hPrev − n)·σ'(z), pr = dN·hn·σ'(r), dHn = dN·r.
  ;; Writes (pr, pz, dHn) side by side [n, 3H] (for the matmul with the recurrent weights), the
  ;; input-projection gradients (pr, pz, dN) as three [n, H] blocks at dx, dHn again as [n, H] at
  ;; dhn (for b_hn), and dh·z [n, H] at dhz (the direct part of the gradient into hPrev).
  (func (export "gruBackward")
    (param $s i32) (param $hPrev i32) (param $dy i32) (param $dhA i32) (param $dhB i32)
    (param $dpre i32) (param $dx i32) (param $dhn i32) (param $dhz i32) (param $n i32) (param $H i32) (param $xs i32)
    (param $xr i32)
    (local $r i32) (local $j i32) (local $hb i32) (local $nhb i32) (local $a i32) (local $b i32)
    (local $p i32) (local $q i32)
    (local $vr v128) (local $vz v128) (local $vhn v128) (local $vn v128) (local $dh v128)
    (local $dN v128) (local $d v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $nhb (local.get $xs)) ;; bytes between the dx blocks
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $a (i32.add (i32.add (local.get $s) (i32.mul (local.get $r) (i32.shl (local.get $hb) (i32.const 2))))
                               (local.get $j)))
        (local.set $vr (v128.load (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $vz (v128.load (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $vhn (v128.load (local.get $a)))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $vn (v128.load (local.get $a)))
        (local.set $b (i32.add (i32.mul (local.get $r) (local.get $hb)) (local.get $j)))
        (local.set $dh (f32x4.add (v128.load (i32.add (local.get $dy) (local.get $b)))
          (f32x4.add (v128.load (i32.add (local.get $dhA) (local.get $b))) (v128.load (i32.add (local.get $dhB) (local.get $b))))))
        (v128.store (i32.add (local.get $dhz) (local.get $b)) (f32x4.mul (local.get $dh) (local.get $vz)))
        (local.set $dN (f32x4.mul (f32x4.sub (local.get $dh) (f32x4.mul (local.get $dh) (local.get $vz)))
          (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $vn) (local.get $vn)))))
        (local.set $p (i32.add (local.get $dpre) (i32.add (i32.mul (local.get $r) (i32.mul (local.get $hb) (i32.const 3))) (local.get $j))))
        (local.set $q (i32.add (local.get $dx) (i32.add (i32.mul (local.get $r) (local.get $xr)) (local.get $j))))
        ;; r
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dN) (local.get $vhn))
          (f32x4.sub (local.get $vr) (f32x4.mul (local.get $vr) (local.get $vr)))))
        (v128.store (local.get $p) (local.get $d))
        (v128.store (local.get $q) (local.get $d))
        ;; z
        (local.set $p (i32.add (local.get $p) (local.get $hb)))
        (local.set $q (i32.add (local.get $q) (local.get $nhb)))
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dh)
                                   (f32x4.sub (v128.load (i32.add (local.get $hPrev) (local.get $b))) (local.get $vn)))
          (f32x4.sub (local.get $vz) (f32x4.mul (local.get $vz) (local.get $vz)))))
        (v128.store (local.get $p) (local.get $d))
        (v128.store (local.get $q) (local.get $d))
        ;; n: the matmul side gets dHn = dN·r, the input side dN
        (local.set $p (i32.add (local.get $p) (local.get $hb)))
        (local.set $q (i32.add (local.get $q) (local.get $nhb)))
        (local.set $d (f32x4.mul (local.get $dN) (local.get $vr)))
        (v128.store (local.get $p) (local.get $d))
        (v128.store (i32.add (local.get $dhn) (local.get $b)) (local.get $d))
        (v128.store (local.get $q) (local.get $dN))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))

  ;; Inference of one LSTM step for the whole-sequence path (fused-lstm.ts, no gradient needed): as
  ;; lstmForward, but x points at this step's rows inside the input projections of all steps (x, xs
  ;; and xr as above), g's rows are ldg bytes apart (the matmul
  ;; kernel's padded product), c [n, H] is updated in place, nothing is saved, and h [n, H] is
  ;; written straight into the layer's output rows.
  (func (export "lstmInfer")
    (param $x i32) (param $xs i32) (param $bias i32) (param $g i32) (param $ldg i32) (param $c i32) (param $h i32)
    (param $n i32) (param $H i32) (param $xr i32)
    (local $r i32) (local $j i32) (local $hb i32) (local $a i32) (local $b i32) (local $xa i32) (local $ba i32)
    (local $vi v128) (local $vf v128) (local $vg v128) (local $vo v128) (local $vc v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $a (i32.add (i32.add (local.get $g) (i32.mul (local.get $r) (local.get $ldg))) (local.get $j)))
        (local.set $b (i32.add (i32.mul (local.get $r) (local.get $hb)) (local.get $j)))
        (local.set $xa (i32.add (local.get $x) (i32.add (i32.mul (local.get $r) (local.get $xr)) (local.get $j))))
        (local.set $ba (i32.add (local.get $bias) (local.get $j)))
        (local.set $vi (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $xs)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vf (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $xs)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vg (call $tanh (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                              (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $xs)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vo (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $vc (f32x4.add (f32x4.mul (local.get $vf) (v128.load (i32.add (local.get $c) (local.get $b))))
                                  (f32x4.mul (local.get $vi) (local.get $vg))))
        (v128.store (i32.add (local.get $c) (local.get $b)) (local.get $vc))
        (v128.store (i32.add (local.get $h) (local.get $b)) (f32x4.mul (local.get $vo) (call $tanh (local.get $vc))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))

  ;; Inference of one GRU step (as gruForward; x, xs and ldg as in lstmInfer): reads hPrev [n, H],
  ;; writes h [n, H], saves nothing.
  (func (export "gruInfer")
    (param $x i32) (param $xs i32) (param $bias i32) (param $bhn i32) (param $g i32) (param $ldg i32)
    (param $hPrev i32) (param $h i32) (param $n i32) (param $H i32) (param $xr i32)
    (local $r i32) (local $j i32) (local $hb i32) (local $a i32) (local $b i32) (local $xa i32) (local $ba i32)
    (local $vr v128) (local $vz v128) (local $vhn v128) (local $vn v128) (local $hp v128)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $hb)))
        (local.set $a (i32.add (i32.add (local.get $g) (i32.mul (local.get $r) (local.get $ldg))) (local.get $j)))
        (local.set $b (i32.add (i32.mul (local.get $r) (local.get $hb)) (local.get $j)))
        (local.set $xa (i32.add (local.get $x) (i32.add (i32.mul (local.get $r) (local.get $xr)) (local.get $j))))
        (local.set $ba (i32.add (local.get $bias) (local.get $j)))
        (local.set $vr (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $xs)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vz (call $sigmoid (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                                 (v128.load (local.get $a)))))
        (local.set $a (i32.add (local.get $a) (local.get $hb)))
        (local.set $xa (i32.add (local.get $xa) (local.get $xs)))
        (local.set $ba (i32.add (local.get $ba) (local.get $hb)))
        (local.set $vhn (f32x4.add (v128.load (local.get $a)) (v128.load (i32.add (local.get $bhn) (local.get $j)))))
        (local.set $vn (call $tanh (f32x4.add (f32x4.add (v128.load (local.get $xa)) (v128.load (local.get $ba)))
                                              (f32x4.mul (local.get $vr) (local.get $vhn)))))
        (local.set $hp (v128.load (i32.add (local.get $hPrev) (local.get $b))))
        (v128.store (i32.add (local.get $h) (local.get $b))
          (f32x4.add (local.get $vn) (f32x4.mul (local.get $vz) (f32x4.sub (local.get $hp) (local.get $vn)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop))))

  ;; Column sums of a [rows, cols] matrix at src (rows ld bytes apart; cols a multiple of 4) into
  ;; dst [cols], accumulated in float64 row by row (the order of a plain loop: the same float32
  ;; results as js-kernels.ts's columnSums) in acc (8·cols bytes, 16-byte aligned): a bias gradient
  ;; read where the backward wrote it.
  (func (export "colSums")
    (param $src i32) (param $ld i32) (param $rows i32) (param $cols i32) (param $acc i32) (param $dst i32)
    (local $r i32) (local $j i32) (local $cb i32) (local $row i32) (local $a i32) (local $v v128)
    (local.set $cb (i32.shl (local.get $cols) (i32.const 2))) ;; bytes of a row's cols floats
    (local.set $j (i32.const 0))
    (block $zDone (loop $zLoop
      (br_if $zDone (i32.ge_u (local.get $j) (local.get $cb)))
      (v128.store (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 1))) (v128.const i64x2 0 0))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $zLoop)))
    (local.set $row (local.get $src))
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $cb)))
        (local.set $v (v128.load (i32.add (local.get $row) (local.get $j))))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 1))))
        (v128.store (local.get $a)
          (f64x2.add (v128.load (local.get $a)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=16 (local.get $a)
          (f64x2.add (v128.load offset=16 (local.get $a))
            (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jLoop)))
      (local.set $row (i32.add (local.get $row) (local.get $ld)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop)))
    (local.set $j (i32.const 0))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $j) (local.get $cb)))
      (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 1))))
      (v128.store (i32.add (local.get $dst) (local.get $j))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (v128.load (local.get $a)))
          (f32x4.demote_f64x2_zero (v128.load offset=16 (local.get $a)))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $sLoop))))
)
