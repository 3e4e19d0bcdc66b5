/**
 * Benchmarks of @wordloom/transformer.
 *
 * transformer.encoder.train — ms per training step (forward + backward + Adam) of a 4-layer
 *   post-norm encoder stack (d_model 256, 4 heads, FF 1024, dropout 0.1, training mode),
 *   batch 32 × T 128 with a key-padding mask (lengths 64…128), loss = MSE to a fixed target.
 *   Adam from @wordloom/optim. Also reports the step's FLOPs (matmuls only, forward + 2×
 *   for backward) and achieved GFLOP/s. Peers: PyTorch 1.13 (CPU, OpenMP OpenBLAS) with the same
 *   nn.TransformerEncoder and torch.optim.Adam, in its best setting: 1 and 2 intra-op threads
 *   (OpenMP's default active wait) measured in each run, the faster reported and named in the
 *   log; and the same stack written with
 *   tfjs-layers pieces (Dense, LayerNormalization, Dropout) and tfjs ops for attention, trained
 *   with tf.train.adam — what a TypeScript user would write today. Ours also runs as `ours-1-thread`
 *   (the intra-op pool off) and `ours-unfused` (the fused LayerNorm and masked-softmax ops off) in
 *   the same process.
 * transformer.lm.generate — tokens/s generating 256 tokens greedily (batch 1, 16-token prompt)
 *   from a 6-layer d256 GPT-style LM (4 heads, FF 1024, vocab 1024) with the KV cache. Peers:
 *   `torch`, the same LM shape in PyTorch 1.13 running the same greedy loop with a hand-written KV
 *   cache (best of 1 and 2 threads, named in the log); `no-cache`, our model recomputing the whole
 *   prefix at every step; `ours-ops`, our cached loop as one `step()` of tfjs ops per token
 *   (`generate({ fused: false })` with the fused LayerNorm and masked softmax off: the path before
 *   the fused decoding loop).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setupBackend, setThreads, startThreads, getThreads, setFusedKernels, Rng } from '@wordloom/core';
import { setFusedMaskedSoftmax } from '@wordloom/attention';
import { setFusedLayerNorm, TransformerLM } from '@wordloom/transformer';
import { torchEnv } from '../torch-env.mjs';
import { encoderConfig, encoderFlops, encoderTraining, lengthsFor } from './transformer/encoder-model.mjs';

const TORCH_SCRIPT = String.raw`
import json, os, sys, time
lib = '/usr/lib/x86_64-linux-gnu/openblas-openmp'
if os.path.isdir(lib) and os.environ.get('LD_LIBRARY_PATH', '').find(lib) < 0:
    # torch's and OpenBLAS's threads fight on 2 cores with the pthread build: re-exec with the OpenMP one
    os.environ['LD_LIBRARY_PATH'] = lib + ':' + os.environ.get('LD_LIBRARY_PATH', '')
    os.execv(sys.executable, [sys.executable] + sys.argv)
import torch
cfg = json.loads(sys.argv[1])
B, T, d, H, FF, L, steps = cfg['B'], cfg['T'], cfg['d'], cfg['H'], cfg['FF'], cfg['L'], cfg['steps']
lengths = torch.tensor(cfg['lengths'])
kpm = torch.arange(T)[None, :] >= lengths[:, None]
# The peer in its best setting: 1 and 2 intra-op threads (OpenMP's default active wait; the
# caller sets OMP_NUM_THREADS=2) are both measured, each from the same seed, and the faster
# reported with its setting named.
def measure(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(d, H, FF, dropout=0.1, batch_first=True)
    enc = torch.nn.TransformerEncoder(layer, L, enable_nested_tensor=False)
    enc.train()
    opt = torch.optim.Adam(enc.parameters(), lr=1e-4)
    x = torch.randn(B, T, d)
    y = torch.randn(B, T, d)
    def step():
        opt.zero_grad()
        out = enc(x, src_key_padding_mask=kpm)
        loss = ((out - y) ** 2).mean()
        loss.backward()
        opt.step()
    step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter(); step(); times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]
by = {t: measure(t) for t in (1, 2)}
best = min(by, key=by.get)
print(json.dumps({'step': by[best], 'threads': best, 'byThreads': by, 'torch': torch.__version__,
                  'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY', 'default (active)')}))
`;

/** The same encoder stack from tfjs-layers pieces + tfjs ops (post-norm, ReLU, dropout 0.1). */
function buildLayersStack({ d, H, FF, L }) {
  const dh = d / H;
  const layers = [];
  for (let i = 0; i < L; i++) {
    const l = {
      qkv: tfl.layers.dense({ units: 3 * d }),
      out: tfl.layers.dense({ units: d }),
      ff1: tfl.layers.dense({ units: FF, activation: 'relu' }),
      ff2: tfl.layers.dense({ units: d }),
      norm1: tfl.layers.layerNormalization({ epsilon: 1e-5 }),
      norm2: tfl.layers.layerNormalization({ epsilon: 1e-5 }),
      drop: tfl.layers.dropout({ rate: 0.1 }),
    };
    layers.push(l);
  }
  const forward = (x, bias) => {
    const [B, T] = x.shape;
    let h = x;
    for (const l of layers) {
      const qkv = l.qkv.apply(h); // [B, T, 3d]
      const split = (j) =>
        tf.transpose(tf.reshape(tf.slice(qkv, [0, 0, j * d], [B, T, d]), [B, T, H, dh]), [0, 2, 1, 3]);
      const scores = tf.add(tf.div(tf.matMul(split(0), split(1), false, true), Math.sqrt(dh)), bias);
      const w = l.drop.apply(tf.softmax(scores), { training: true });
      const ctx = tf.reshape(tf.transpose(tf.matMul(w, split(2)), [0, 2, 1, 3]), [B, T, d]);
      h = l.norm1.apply(tf.add(h, l.drop.apply(l.out.apply(ctx), { training: true })));
      const ff = l.ff2.apply(l.drop.apply(l.ff1.apply(h), { training: true }));
      h = l.norm2.apply(tf.add(h, l.drop.apply(ff, { training: true })));
    }
    return h;
  };
  return { layers, forward };
}

const encoderTrain = {
  name: 'transformer.encoder.train',
  description:
    'ms per training step (fwd+bwd+Adam) of a 4-layer encoder, d256, 4 heads, FF 1024, batch 32 x T 128, padding mask; also FLOPs and GFLOP/s',
  units: { step: 'ms', gflops: 'GFLOP/s' },
  higherIsBetter: { step: false, gflops: true },
  warmup: 1,
  runs: 3,
  async setup(ctx) {
    const { backend } = await setupBackend();
    const ready = await startThreads();
    const cfg = encoderConfig(ctx.quick);
    const flops = encoderFlops(cfg);
    ctx.log(
      `backend ${backend}, pool threads ${ready} of ${getThreads()}; config ${JSON.stringify(cfg)}; ${(flops / 1e9).toFixed(1)} GFLOP per step (matmuls)`,
    );
    const lengths = lengthsFor(cfg.B, cfg.T, 1);
    const { enc, opt, x, y, pad } = encoderTraining(cfg, lengths);
    return { cfg, flops, lengths, enc, opt, x, y, pad, layersPeer: null };
  },
  async ours(s) {
    return timedStep(s);
  },
  peers: [
    {
      // ours with @wordloom/core's intra-op pool off: what the threads buy
      name: 'ours-1-thread',
      async available() {
        return true;
      },
      async run(s) {
        return withThreads(1, async () => timedStep(s));
      },
    },
    {
      // ours with the fused LayerNorm and masked-softmax ops off (each back to its tfjs ops): what they buy
      name: 'ours-unfused',
      async available() {
        return true;
      },
      async run(s) {
        return withoutFusedOps(() => timedStep(s));
      },
    },
    {
      // ours with core's fused wasm kernels off (tfjs's Transpose and copying Identity, Dropout's JS
      // mask, the fused LayerNorm / softmax backward as JS loops): what those kernels buy
      name: 'ours-tfjs-kernels',
      async available() {
        return true;
      },
      async run(s) {
        const prev = setFusedKernels(false);
        try {
          return timedStep(s);
        } finally {
          setFusedKernels(prev);
        }
      },
    },
    {
      name: 'torch',
      // each run is a fresh Python process that warms up itself (one untimed step)
      warmup: 0,
      async available(ctx) {
        return (await ctx.pythonHas(['torch'])) ? true : 'python3-torch is not installed';
      },
      async run(s, ctx) {
        const dir = mkdtempSync(join(tmpdir(), 'wordloom-bench-'));
        const script = join(dir, 'torch_encoder_train.py');
        writeFileSync(script, TORCH_SCRIPT);
        const env = torchEnv(); // best setting: see ../torch-env.mjs
        const r = await ctx.python(script, [JSON.stringify({ ...s.cfg, lengths: s.lengths, steps: 2 })], env);
        const by = Object.entries(r.byThreads)
          .map(([t, ms]) => `${t} thread(s) ${ms.toFixed(0)} ms`)
          .join(', ');
        ctx.log(
          `  torch ${r.torch}: step ${r.step.toFixed(0)} ms with ${r.threads} thread(s) (${by}; OMP wait ${r.ompWaitPolicy})`,
        );
        return { step: r.step, gflops: s.flops / r.step / 1e6 };
      },
    },
    {
      name: 'tfjs-layers',
      // ≈ 50 s per step at full size: no warmup run (the layers' weights are built outside the timing)
      warmup: 0,
      async available() {
        // minutes per run: WORDLOOM_BENCH_SKIP=tfjs-layers leaves it out (e.g. to compare thread counts)
        if ((process.env.WORDLOOM_BENCH_SKIP ?? '').split(',').includes('tfjs-layers')) {
          return 'skipped: WORDLOOM_BENCH_SKIP=tfjs-layers';
        }
        return true;
      },
      async run(s) {
        // one thread: in this process tfjs-layers' matmuls would otherwise run on our pool (core wraps wasm's BatchMatMul)
        return withThreads(1, () => layersStep(s));
      },
    },
  ],
  async teardown(s) {
    s.enc.dispose();
    s.opt.dispose?.();
    tf.dispose([s.x, s.y, s.pad]);
    if (s.layersPeer) {
      s.layersPeer.bias.dispose();
      s.layersPeer.opt.dispose();
      for (const l of s.layersPeer.stack.layers) for (const layer of Object.values(l)) layer.dispose();
    }
  },
};

/**
 * PyTorch peer of transformer.lm.generate: the same LM shape (pre-norm blocks with GELU, learned
 * positions, final LayerNorm, output tied to the token embedding; torch's own init, so the tokens
 * differ) and the same greedy loop — the prompt in one forward pass, then one token per step
 * through a hand-written KV cache (per layer, k and v `[1, heads, t, dh]` grown by torch.cat;
 * torch 1.13 has no cache built in), logits of the last position only, argmax, 256 tokens; under
 * torch.inference_mode(). Measured at 1 and 2 intra-op threads (OpenMP's default active wait), the
 * faster kept and named; each setting does one untimed generation first.
 */
const TORCH_LM_SCRIPT = String.raw`
import json, math, os, sys, time
import torch
import torch.nn.functional as F
cfg = json.loads(sys.argv[1])
L, d, nh, FF, V, n, maxLen = cfg['L'], cfg['d'], cfg['H'], cfg['FF'], cfg['V'], cfg['n'], cfg['maxLen']
dh = d // nh
prompt = torch.tensor(cfg['prompt'], dtype=torch.long)

class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.ff1 = torch.nn.Linear(d, FF)
        self.ff2 = torch.nn.Linear(FF, d)

    def forward(self, x, cache):
        B, T, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(B, T, nh, dh).transpose(1, 2)
        k = k.view(B, T, nh, dh).transpose(1, 2)
        v = v.view(B, T, nh, dh).transpose(1, 2)
        if cache is not None:
            k = torch.cat([cache[0], k], 2)
            v = torch.cat([cache[1], v], 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
        if T > 1:  # the prompt: causal mask (a single new token sees every cached position)
            S = k.shape[2]
            att = att.masked_fill(torch.ones(T, S, dtype=torch.bool).triu(S - T + 1), float('-inf'))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, d)
        x = x + self.proj(y)
        x = x + self.ff2(F.gelu(self.ff1(self.ln2(x))))
        return x, (k, v)

class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(V, d)
        torch.nn.init.normal_(self.tok.weight, std=0.02)
        self.pos = torch.nn.Embedding(maxLen, d)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = torch.nn.LayerNorm(d, eps=1e-5)

    def forward(self, ids, cache, pos0):
        T = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(pos0, pos0 + T))
        new = []
        for i, blk in enumerate(self.blocks):
            x, kv = blk(x, cache[i] if cache is not None else None)
            new.append(kv)
        return self.ln_f(x[:, -1]) @ self.tok.weight.t(), new

def generate(m):
    out = []
    logits, cache = m(prompt, None, 0)
    pos = prompt.shape[1]
    for i in range(n):
        nxt = logits.argmax(-1)
        out.append(int(nxt[0]))
        if i + 1 < n:
            logits, cache = m(nxt.view(1, 1), cache, pos)
            pos += 1
    return out

def measure(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = LM().eval()
    with torch.inference_mode():
        generate(m)
        t0 = time.perf_counter()
        generate(m)
        return n / (time.perf_counter() - t0)

by = {t: measure(t) for t in (1, 2)}
best = max(by, key=by.get)
print(json.dumps({'throughput': by[best], 'threads': best, 'byThreads': by, 'torch': torch.__version__,
                  'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY', 'default (active)')}))
`;

const lmGenerate = {
  name: 'transformer.lm.generate',
  description:
    'tokens/s generating 256 tokens greedily from a 6-layer d256 GPT-style LM with the KV cache (batch 1, 16-token prompt)',
  units: { throughput: 'tokens/s' },
  higherIsBetter: { throughput: true },
  warmup: 1,
  runs: 3,
  async setup(ctx) {
    const { backend } = await setupBackend();
    const cfg = ctx.quick
      ? { L: 2, d: 64, H: 4, FF: 256, V: 256, n: 32 }
      : { L: 6, d: 256, H: 4, FF: 1024, V: 1024, n: 256 };
    ctx.log(`backend ${backend}; config ${JSON.stringify(cfg)}`);
    const lm = new TransformerLM({
      vocabSize: cfg.V,
      dModel: cfg.d,
      nhead: cfg.H,
      numLayers: cfg.L,
      dimFeedforward: cfg.FF,
      maxLen: 512,
      dropout: 0,
      seed: 0,
    });
    lm.eval();
    const rng = new Rng(7);
    const prompt = [Array.from({ length: 16 }, () => rng.int(cfg.V))];
    return { cfg, lm, prompt };
  },
  async ours(s) {
    const t0 = performance.now();
    s.lm.generate(s.prompt, { maxNewTokens: s.cfg.n });
    return { throughput: s.cfg.n / ((performance.now() - t0) / 1000) };
  },
  peers: [
    {
      name: 'torch',
      // each run is a fresh Python process that warms up itself (one untimed generation per setting)
      warmup: 0,
      async available(ctx) {
        return (await ctx.pythonHas(['torch'])) ? true : 'python3-torch is not installed';
      },
      async run(s, ctx) {
        const dir = mkdtempSync(join(tmpdir(), 'wordloom-bench-'));
        const script = join(dir, 'torch_lm_generate.py');
        writeFileSync(script, TORCH_LM_SCRIPT);
        const env = torchEnv(); // best setting: see ../torch-env.mjs
        const r = await ctx.python(script, [JSON.stringify({ ...s.cfg, prompt: s.prompt, maxLen: 512 })], env);
        const by = Object.entries(r.byThreads)
          .map(([t, v]) => `${t} thread(s) ${v.toFixed(1)} tokens/s`)
          .join(', ');
        ctx.log(`  torch ${r.torch}: ${r.throughput.toFixed(1)} tokens/s with ${r.threads} thread(s) (${by})`);
        return { throughput: r.throughput };
      },
    },
    {
      // the same cached greedy loop as one step() of tfjs ops per token (generate's `fused: false`,
      // with the fused LayerNorm and masked softmax off too: the path before them), in the same run
      name: 'ours-ops',
      async available() {
        return true;
      },
      async run(s) {
        return withoutFusedOps(() => {
          const t0 = performance.now();
          s.lm.generate(s.prompt, { maxNewTokens: s.cfg.n, fused: false });
          return { throughput: s.cfg.n / ((performance.now() - t0) / 1000) };
        });
      },
    },
    {
      name: 'no-cache',
      // recomputes the whole prefix at every token (≈ 100× the work): no warmup run
      warmup: 0,
      async available() {
        return true;
      },
      async run(s) {
        const t0 = performance.now();
        s.lm.generate(s.prompt, { maxNewTokens: s.cfg.n, useCache: false });
        return { throughput: s.cfg.n / ((performance.now() - t0) / 1000) };
      },
    },
  ],
  async teardown(s) {
    s.lm.dispose();
  },
};

/** One timed training step of the encoder bench's model (ours and its same-process variants). */
function timedStep(s) {
  const t0 = performance.now();
  s.opt.minimize(() =>
    tf.tidy(() => tf.mean(tf.square(tf.sub(s.enc.forward(s.x, { srcKeyPaddingMask: s.pad }).output, s.y)))),
  );
  const ms = performance.now() - t0;
  return { step: ms, gflops: s.flops / ms / 1e6 };
}

/** Runs `fn` with the fused LayerNorm and masked-softmax ops off (each back to its tfjs ops), then restores them. */
function withoutFusedOps(fn) {
  const ln = setFusedLayerNorm(false);
  const sm = setFusedMaskedSoftmax(false);
  try {
    return fn();
  } finally {
    setFusedLayerNorm(ln);
    setFusedMaskedSoftmax(sm);
  }
}

export default [encoderTrain, lmGenerate];

/** The tfjs-layers peer's training step (its weights built once, outside the timing). */
async function layersStep(s) {
  if (!s.layersPeer) {
    const stack = buildLayersStack(s.cfg);
    const bias = tf.mul(tf.reshape(s.pad, [s.cfg.B, 1, 1, s.cfg.T]), -1e9);
    // build the layers' weights once
    tf.tidy(() => stack.forward(s.x, bias));
    const vars = stack.layers.flatMap((l) =>
      Object.values(l).flatMap((layer) => layer.trainableWeights.map((w) => w.read())),
    );
    s.layersPeer = { stack, bias, vars, opt: tf.train.adam(1e-4) };
  }
  const p = s.layersPeer;
  const t0 = performance.now();
  const loss = p.opt.minimize(() => tf.mean(tf.square(tf.sub(p.stack.forward(s.x, p.bias), s.y))), true, p.vars);
  await loss.data();
  loss.dispose();
  const ms = performance.now() - t0;
  return { step: ms, gflops: s.flops / ms / 1e6 };
}

/** Runs `fn` with @wordloom/core's intra-op pool at `n` threads, then restores the setting. */
async function withThreads(n, fn) {
  const prev = setThreads(n);
  try {
    return await fn();
  } finally {
    setThreads(prev);
  }
}
