;; One parameter's Adam/AdamW step in WebAssembly 128-bit SIMD (f32x4), for @wordloom/optim's one-pass Adam on
;; tfjs-backend-wasm's heap (fused-adam.ts). Compiled by packages/optim/scripts/generate.mjs (wabt) into
;; adam-simd-wasm.ts.
;;
;; Reads g, p, m0, v0 (vm0) once and writes m, v (vm) and the update u, every operation a float32 IEEE operation
;; (add, mul, div, sqrt, max: correctly rounded, as the tfjs ops it replaces), in the same order:
;;   g  = sign·g                         (sign = ±1: maximize; exact)
;;   g  = g + p·wdIn                      (flags & 1: Adam's coupled L2 decay)
;;   m  = m0·b1 + g·a1                    (a1 = 1 − b1)
;;   v  = v0·b2 + (g·g)·a2                (a2 = 1 − b2)
;;   vu = max(vm0, v) → vm                (flags & 4: AMSGrad; else vu = v)
;;   u  = (m / (sqrt(vu) + epsBc))·step   (epsBc = eps·√bc2, step = −lr·√bc2 / bc1)
;;   u  = u + p·wdOut                     (flags & 2: AdamW's decoupled decay, wdOut = −lr·wd)
;; Four values at a time, then the last n mod 4 one by one with the scalar f32 operations. All pointers are byte
;; offsets into the imported memory (tfjs-backend-wasm's heap); unused ones are ignored.
(module
  (import "env" "mem" (memory 1))

  (func (export "adam")
    (param $n i32) (param $g i32) (param $p i32) (param $m0 i32) (param $v0 i32) (param $vm0 i32)
    (param $m i32) (param $v i32) (param $vm i32) (param $u i32)
    (param $sign f32) (param $wdIn f32) (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32)
    (param $epsBc f32) (param $step f32) (param $wdOut f32) (param $flags i32)
    (local $i i32) (local $n4 i32) (local $o i32)
    (local $coupled i32) (local $decoupled i32) (local $ams i32)
    (local $Xsign v128) (local $XwdIn v128) (local $Xb1 v128) (local $Xa1 v128) (local $Xb2 v128) (local $Xa2 v128)
    (local $XepsBc v128) (local $Xstep v128) (local $XwdOut v128)
    (local $xg v128) (local $xm v128) (local $xv v128) (local $xu v128)
    (local $sg f32) (local $sm f32) (local $sv f32) (local $su f32)
    (local.set $coupled (i32.and (local.get $flags) (i32.const 1)))
    (local.set $decoupled (i32.and (local.get $flags) (i32.const 2)))
    (local.set $ams (i32.and (local.get $flags) (i32.const 4)))
    (local.set $Xsign (f32x4.splat (local.get $sign)))
    (local.set $XwdIn (f32x4.splat (local.get $wdIn)))
    (local.set $Xb1 (f32x4.splat (local.get $b1)))
    (local.set $Xa1 (f32x4.splat (local.get $a1)))
    (local.set $Xb2 (f32x4.splat (local.get $b2)))
    (local.set $Xa2 (f32x4.splat (local.get $a2)))
    (local.set $XepsBc (f32x4.splat (local.get $epsBc)))
    (local.set $Xstep (f32x4.splat (local.get $step)))
    (local.set $XwdOut (f32x4.splat (local.get $wdOut)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $xg (f32x4.mul (local.get $Xsign) (v128.load align=4 (i32.add (local.get $g) (local.get $o)))))
        (if (local.get $coupled)
          (then
            (local.set $xg
              (f32x4.add (local.get $xg)
                (f32x4.mul (v128.load align=4 (i32.add (local.get $p) (local.get $o))) (local.get $XwdIn))))))
        (local.set $xm
          (f32x4.add
            (f32x4.mul (v128.load align=4 (i32.add (local.get $m0) (local.get $o))) (local.get $Xb1))
            (f32x4.mul (local.get $xg) (local.get $Xa1))))
        (local.set $xv
          (f32x4.add
            (f32x4.mul (v128.load align=4 (i32.add (local.get $v0) (local.get $o))) (local.get $Xb2))
            (f32x4.mul (f32x4.mul (local.get $xg) (local.get $xg)) (local.get $Xa2))))
        (v128.store align=4 (i32.add (local.get $m) (local.get $o)) (local.get $xm))
        (v128.store align=4 (i32.add (local.get $v) (local.get $o)) (local.get $xv))
        (if (local.get $ams)
          (then
            (local.set $xv (f32x4.max (v128.load align=4 (i32.add (local.get $vm0) (local.get $o))) (local.get $xv)))
            (v128.store align=4 (i32.add (local.get $vm) (local.get $o)) (local.get $xv))))
        (local.set $xu
          (f32x4.mul
            (f32x4.div (local.get $xm) (f32x4.add (f32x4.sqrt (local.get $xv)) (local.get $XepsBc)))
            (local.get $Xstep)))
        (if (local.get $decoupled)
          (then
            (local.set $xu
              (f32x4.add (local.get $xu)
                (f32x4.mul (v128.load align=4 (i32.add (local.get $p) (local.get $o))) (local.get $XwdOut))))))
        (v128.store align=4 (i32.add (local.get $u) (local.get $o)) (local.get $xu))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vloop)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $sg (f32.mul (local.get $sign) (f32.load (i32.add (local.get $g) (local.get $o)))))
        (if (local.get $coupled)
          (then
            (local.set $sg
              (f32.add (local.get $sg) (f32.mul (f32.load (i32.add (local.get $p) (local.get $o))) (local.get $wdIn))))))
        (local.set $sm
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m0) (local.get $o))) (local.get $b1))
            (f32.mul (local.get $sg) (local.get $a1))))
        (local.set $sv
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $v0) (local.get $o))) (local.get $b2))
            (f32.mul (f32.mul (local.get $sg) (local.get $sg)) (local.get $a2))))
        (f32.store (i32.add (local.get $m) (local.get $o)) (local.get $sm))
        (f32.store (i32.add (local.get $v) (local.get $o)) (local.get $sv))
        (if (local.get $ams)
          (then
            (local.set $sv (f32.max (f32.load (i32.add (local.get $vm0) (local.get $o))) (local.get $sv)))
            (f32.store (i32.add (local.get $vm) (local.get $o)) (local.get $sv))))
        (local.set $su
          (f32.mul
            (f32.div (local.get $sm) (f32.add (f32.sqrt (local.get $sv)) (local.get $epsBc)))
            (local.get $step)))
        (if (local.get $decoupled)
          (then
            (local.set $su
              (f32.add (local.get $su) (f32.mul (f32.load (i32.add (local.get $p) (local.get $o))) (local.get $wdOut))))))
        (f32.store (i32.add (local.get $u) (local.get $o)) (local.get $su))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sloop)))))
