/**
 * The model every side of rnn.{lstm,gru}.train trains: token ids [B, T] (ragged lengths) ->
 * embedding E -> L-layer bidirectional LSTM/GRU, hidden H -> classifier on the last layer's final
 * states [B, 2H] -> C classes, cross-entropy, Adam (lr 1e-3). FLOPs count the matmuls of the real
 * (unpadded) tokens, forward + backward (3 × forward), as PyTorch's packed sequences compute.
 */
export function config(quick) {
  return quick
    ? { B: 8, T: 12, minLen: 4, V: 500, E: 16, H: 32, L: 2, C: 5, steps: 2, inferRuns: 2 }
    : { B: 64, T: 50, minLen: 10, V: 10000, E: 128, H: 256, L: 2, C: 10, steps: 3, inferRuns: 3 };
}

/** Deterministic batch: ids [B*T] (0 = pad), lengths 10..50 spread over the batch, unsorted, labels. */
export function makeBatch(c) {
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
  const lengths = Array.from({ length: c.B }, () => c.minLen + Math.floor(rand() * (c.T - c.minLen + 1)));
  lengths[0] = c.T;
  const ids = new Int32Array(c.B * c.T);
  for (let b = 0; b < c.B; b++)
    for (let t = 0; t < lengths[b]; t++) ids[b * c.T + t] = 1 + Math.floor(rand() * (c.V - 1));
  const labels = Int32Array.from({ length: c.B }, () => Math.floor(rand() * c.C));
  return { ids: Array.from(ids), lengths, labels: Array.from(labels) };
}

export function trainFlops(c, mode, lengths) {
  const G = mode === 'lstm' ? 4 : 3;
  const N = lengths.reduce((a, b) => a + b, 0);
  let fwd = 0;
  for (let l = 0; l < c.L; l++) {
    const D = l === 0 ? c.E : 2 * c.H;
    fwd += 2 * (2 * N * D * G * c.H + 2 * N * c.H * G * c.H); // two directions
  }
  fwd += 2 * c.B * 2 * c.H * c.C;
  return 3 * fwd;
}
