/**
 * Reusable staging arrays for the tensors a collator makes.
 *
 * A padded `[B, T]` batch used to cost a fresh typed array per tensor (ids, mask, per-token
 * labels): ≈ 77 kB each for NSMC's GPT-2 ids (B = 64, T ≈ 300). V8 zero-fills such arrays and
 * frees them only at a garbage collection, so on NSMC they took more CPU than the padding itself
 * (the `data.collate.nsmc` benchmark; see the data README). On a backend that copies the values
 * into its own memory while the tensor is made — tfjs-backend-wasm, whose `write`/`move` copies
 * into the wasm heap at once (checked in 4.22: `HEAPU8.set(...)` in `BackendWasm.move`) — one
 * array per role, reused batch after batch, does the same job. Other backends keep the array
 * itself (cpu: it becomes the tensor's storage; webgl/webgpu: uploaded later), so there every
 * call gets a fresh array, as before.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Backends known to copy a tensor's values out of the given array before `tf.tensor` returns. */
const COPYING_BACKENDS = new Set(['wasm']);

/** Whether an array handed to `tf.tensor` may be overwritten as soon as the tensor exists. */
export function backendCopiesValues(): boolean {
  return COPYING_BACKENDS.has(tf.getBackend());
}

type Ctor = Int32ArrayConstructor | Float32ArrayConstructor | Uint8ArrayConstructor;

/**
 * One reusable array of a given type. `take(n)` returns a view of n elements whose contents are
 * unspecified (the caller writes every element), or a fresh zeroed array when the backend keeps
 * the arrays it is given. Valid until the next `take`: make the tensor before that.
 */
export class Staging<C extends Ctor> {
  private buf: InstanceType<C> | null = null;
  constructor(private readonly ctor: C) {}

  /** A writable array of n elements; `reused` says whether it may hold stale values. */
  take(n: number): { array: InstanceType<C>; reused: boolean } {
    if (!backendCopiesValues()) return { array: new this.ctor(n) as InstanceType<C>, reused: false };
    if (this.buf === null || this.buf.length < n) {
      // Grow geometrically so a run of slightly longer batches does not reallocate each time.
      this.buf = new this.ctor(Math.max(n, Math.ceil((this.buf?.length ?? 0) * 1.5))) as InstanceType<C>;
    }
    return { array: this.buf.subarray(0, n) as InstanceType<C>, reused: true };
  }
}
