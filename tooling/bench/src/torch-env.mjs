/**
 * The environment of every PyTorch peer: its best CPU setting on this machine.
 * - `OMP_NUM_THREADS=2`: the peer scripts measure 1 and 2 intra-op threads themselves
 *   (`torch.set_num_threads`) and keep the faster; OpenMP's default (active) wait is left alone —
 *   `OMP_WAIT_POLICY=PASSIVE` slowed torch's 2 threads about 10× on the LSTM bench.
 * - OpenBLAS's OpenMP build, when Debian has it, so that BLAS and torch share one thread pool.
 *   Without it (`apt-get install libopenblas0-openmp`) a fresh Debian resolves torch's BLAS to
 *   netlib's reference `libblas3`: 2026-12-03, the `rnn.gru.train` peer took 4.1 s per step
 *   against 0.30 s with OpenBLAS, so torchEnv() warns once instead of letting that pass.
 * - glibc malloc thresholds that keep torch's freed activations in the heap between steps: with the
 *   defaults they went back to the kernel after every step and faulted in again (rnn/torch_peer.py
 *   measured 7.4 s of CPU per LSTM step at 1 thread instead of 0.65–0.84 s).
 */
import { existsSync } from 'node:fs';

export const OPENBLAS_OPENMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
export const GLIBC_MALLOC = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456';

let warned = false;

/** Environment variables for `ctx.python(script, args, env)` running a torch peer. */
export function torchEnv() {
  if (!existsSync(OPENBLAS_OPENMP) && !warned) {
    warned = true;
    process.stderr.write(
      `warning: ${OPENBLAS_OPENMP} is missing, so torch may run on the reference BLAS (several times slower); ` +
        'install OpenBLAS with `apt-get install libopenblas0-openmp` before comparing against torch\n',
    );
  }
  const libs = [existsSync(OPENBLAS_OPENMP) ? OPENBLAS_OPENMP : '', process.env.LD_LIBRARY_PATH ?? ''].filter(Boolean);
  return {
    OMP_NUM_THREADS: '2',
    GLIBC_TUNABLES: GLIBC_MALLOC,
    ...(libs.length > 0 ? { LD_LIBRARY_PATH: libs.join(':') } : {}),
  };
}
