"""PyTorch peer of rnn.{lstm,gru}.train: the same model, packed sequences, Adam.

What both sides compute (ours: rnn/ours-child.mjs): token ids [B 64, T 50] with ragged lengths
10..50 (1,961 real tokens, unsorted); embedding 10k x 128 (padding id 0); a 2-layer bidirectional
LSTM/GRU, hidden 256, over the real tokens only (torch: pack_padded_sequence(enforce_sorted=False);
ours: the same packed layout); a linear classifier (10 classes) on the last layer's final h of both
directions, concatenated; mean cross-entropy; gradients of every parameter (the embedding's dense);
one Adam step (lr 1e-3, betas 0.9/0.999, eps 1e-8) over all of them. `infer` is the same forward in
eval mode without autograd (torch.no_grad()), float32 throughout.

The peer runs in its best setting: the step and inference are measured with 1 and with 2 intra-op
threads (OpenMP's default active wait; OMP_NUM_THREADS=2 so the pool has both cores; OpenBLAS's
OpenMP build) in the same process, each from the same seeded model, and the faster of each is
reported with its setting named. glibc's malloc gets fixed thresholds (GLIBC_TUNABLES below): with
its defaults it hands the activations' memory back to the kernel after every step and faults it
in again in the next — measured 2026-12-03 at 1 thread: 7.4 s of CPU per step (1.6 M minor page
faults, 12 s of system time in 5 steps) against 0.84 s with the thresholds; this, not the thread
setting, was the harness peer's extra cost beside a hand-run script (whose padded warm-up run had
raised glibc's dynamic threshold). PyTorch's CPU tuning guide recommends jemalloc/tcmalloc for the
same reason; neither is installed here, glibc's tunables do the same job.
Usage: torch_peer.py MODE BATCH_JSON
  -> last stdout line: {"stepMs", "inferMs", "stepThreads", "inferThreads", "byThreads", "peakRssMB", ...}"""
import json, os, resource, sys, time

MALLOC = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456'
OPENBLAS_OMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp'
if os.environ.get('GLIBC_TUNABLES') != MALLOC or (
        os.path.isdir(OPENBLAS_OMP) and OPENBLAS_OMP not in os.environ.get('LD_LIBRARY_PATH', '')):
    # both only take effect at process start: re-exec (the harness passes them already)
    os.environ['GLIBC_TUNABLES'] = MALLOC
    if os.path.isdir(OPENBLAS_OMP) and OPENBLAS_OMP not in os.environ.get('LD_LIBRARY_PATH', ''):
        os.environ['LD_LIBRARY_PATH'] = OPENBLAS_OMP + ':' + os.environ.get('LD_LIBRARY_PATH', '')
    os.environ.setdefault('OMP_NUM_THREADS', '2')
    os.execv(sys.executable, [sys.executable] + sys.argv)
import torch
from torch.nn.utils.rnn import pack_padded_sequence

mode, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
c = d['config']
B, T = c['B'], c['T']
ids = torch.tensor(d['ids'], dtype=torch.long).view(B, T)
lengths = torch.tensor(d['lengths'])
labels = torch.tensor(d['labels'], dtype=torch.long)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(c['V'], c['E'], padding_idx=0)
        R = torch.nn.LSTM if mode == 'lstm' else torch.nn.GRU
        self.rnn = R(c['E'], c['H'], num_layers=c['L'], bidirectional=True, batch_first=True)
        self.head = torch.nn.Linear(2 * c['H'], c['C'])

    def forward(self, ids):
        packed = pack_padded_sequence(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
        _, st = self.rnn(packed)
        h = st[0] if mode == 'lstm' else st
        return self.head(torch.cat([h[-2], h[-1]], 1))


def measure(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = Model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(m(ids), labels)
        loss.backward()
        opt.step()
        return float(loss)

    step()  # warm-up
    steps = c['steps']
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    step_ms = (time.perf_counter() - t0) * 1000 / steps
    m.eval()
    with torch.no_grad():
        m(ids)
        t1 = time.perf_counter()
        for _ in range(c['inferRuns']):
            m(ids)
        infer_ms = (time.perf_counter() - t1) * 1000 / c['inferRuns']
    return {'stepMs': step_ms, 'inferMs': infer_ms, 'loss': loss, 'threads': torch.get_num_threads()}


by = {t: measure(t) for t in (1, 2)}
best_step = min(by, key=lambda t: by[t]['stepMs'])
best_infer = min(by, key=lambda t: by[t]['inferMs'])
print(json.dumps({'stepMs': by[best_step]['stepMs'], 'inferMs': by[best_infer]['inferMs'],
                  'stepThreads': best_step, 'inferThreads': best_infer,
                  'byThreads': {t: {'stepMs': r['stepMs'], 'inferMs': r['inferMs'], 'actualThreads': r['threads']}
                                for t, r in by.items()},
                  'loss': by[best_step]['loss'], 'malloc': os.environ.get('GLIBC_TUNABLES'), 'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY', 'default (active)'),
                  'torch': torch.__version__,
                  'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
