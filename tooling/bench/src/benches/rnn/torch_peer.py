"""PyTorch peer of rnn.{lstm,gru}.train: the same model, packed sequences, Adam.
The peer runs in its best setting: the step and inference are measured with 1 and with 2
intra-op threads (OpenMP's default active wait; the caller sets OMP_NUM_THREADS=2 so the pool
has both cores) in the same process, each from the same seeded model, and the faster of each is
reported with its setting named.
Usage: torch_peer.py MODE BATCH_JSON
  -> last stdout line: {"stepMs", "inferMs", "stepThreads", "inferThreads", "byThreads", "peakRssMB", ...}"""
import json, os, resource, sys, time
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
                  'loss': by[best_step]['loss'], 'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY', 'default (active)'),
                  'torch': torch.__version__,
                  'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
