"""Golden fixtures for @wordloom/data from PyTorch (Debian python3-torch 1.13).

Run from the repo root:  /usr/bin/python3 tooling/golden/data/make_fixtures.py
Writes packages/data/test/fixtures/torch_golden.json (a few KB). Everything here is
deterministic (no shuffling: torch's RNG is not ours, so shuffled orders cannot match;
shuffles are tested by property instead).

Covered:
- torch.nn.utils.rnn.pad_sequence(batch_first=True, padding_value=v) on int sequences.
  Left padding: torch 1.13's pad_sequence has no `padding_side` (added in torch 2.5), so it is
  EMULATED as flip(pad_sequence([flip(s) ...]), dim=1) — the definition 2.5 implements.
- a padded collate through torch.utils.data.DataLoader(batch_size=3, shuffle=False,
  collate_fn=...) returning ids [B,T], lengths, mask [B,T] (1 = real) and labels.
- sort by decreasing length (torch.sort(stable=True, descending=True)) and its inverse.
- DistributedSampler(shuffle=False) indices for several (n, num_replicas, rank, drop_last).
- word_language_model batchify + get_batch (seq-first there; transposed to batch-first here).
- BatchSampler(SequentialSampler) batch counts.
"""
import json
import os
import sys

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler, SequentialSampler

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'data', 'test', 'fixtures', 'torch_golden.json')

g = torch.Generator().manual_seed(20261122)


def rand_seqs(n, max_len, vocab=50, min_len=0):
    lens = torch.randint(min_len, max_len + 1, (n,), generator=g).tolist()
    return [torch.randint(1, vocab, (l,), generator=g, dtype=torch.int64) for l in lens]


def pad_left(seqs, value):
    flipped = [torch.flip(s, dims=[0]) for s in seqs]
    return torch.flip(pad_sequence(flipped, batch_first=True, padding_value=value), dims=[1])


pad_cases = []
for name, seqs, value in [
    ('mixed', rand_seqs(6, 9), 0),
    ('pad3', rand_seqs(5, 7, min_len=1), 3),
    ('negpad', rand_seqs(4, 5), -1),
    ('with_empty', [torch.tensor([5, 6, 7]), torch.tensor([], dtype=torch.int64), torch.tensor([9])], 2),
    ('single', [torch.tensor([4, 4, 4, 4])], 0),
    ('equal', [torch.tensor([1, 2]), torch.tensor([3, 4])], 0),
]:
    right = pad_sequence(seqs, batch_first=True, padding_value=value)
    left = pad_left(seqs, value)
    pad_cases.append({
        'name': name,
        'seqs': [s.tolist() for s in seqs],
        'padValue': value,
        'shape': list(right.shape),
        'right': right.flatten().tolist(),
        'left': left.flatten().tolist(),
    })

# A padded collate through torch's DataLoader.
PAD = 1
examples = [(s, int(i % 2)) for i, s in enumerate(rand_seqs(10, 8, min_len=1))]


def collate(batch):
    ids = [torch.as_tensor(x) for x, _ in batch]
    lengths = torch.tensor([len(x) for x in ids], dtype=torch.int32)
    padded = pad_sequence(ids, batch_first=True, padding_value=PAD).to(torch.int32)
    mask = (torch.arange(padded.shape[1])[None, :] < lengths[:, None]).to(torch.float32)
    labels = torch.tensor([y for _, y in batch], dtype=torch.int32)
    return padded, lengths, mask, labels


batches = []
for padded, lengths, mask, labels in DataLoader(examples, batch_size=3, shuffle=False, collate_fn=collate):
    sorted_lengths, perm = torch.sort(lengths.to(torch.int64), descending=True, stable=True)
    inverse = torch.argsort(perm)
    batches.append({
        'shape': list(padded.shape),
        'ids': padded.flatten().tolist(),
        'lengths': lengths.tolist(),
        'mask': mask.flatten().tolist(),
        'labels': labels.tolist(),
        'sortIndices': perm.tolist(),
        'unsortIndices': inverse.tolist(),
        'sortedIds': padded[perm].flatten().tolist(),
    })
collate_case = {
    'padId': PAD,
    'batchSize': 3,
    'examples': [{'ids': x.tolist(), 'label': y} for x, y in examples],
    'batches': batches,
}


class Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


shard_cases = []
for n, k, drop in [(10, 3, False), (10, 3, True), (12, 4, False), (2, 5, False), (7, 2, True), (1, 1, False)]:
    shard_cases.append({
        'length': n, 'numShards': k, 'dropLast': drop,
        'indices': [list(DistributedSampler(Sized(n), num_replicas=k, rank=r, shuffle=False, drop_last=drop)) for r in range(k)],
    })


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()  # [nbatch, bsz]


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len]


stream = torch.arange(100, 100 + 47)
bptt_cases = []
for bsz, bptt in [(4, 5), (3, 7), (1, 10), (5, 2)]:
    src = batchify(stream, bsz)
    chunks = []
    for i in range(0, src.size(0) - 1, bptt):
        x, y = get_batch(src, i, bptt)
        chunks.append({'shape': [bsz, x.shape[0]], 'input': x.t().flatten().tolist(), 'target': y.t().flatten().tolist()})
    bptt_cases.append({'batchSize': bsz, 'seqLen': bptt, 'chunks': chunks})

batch_counts = [
    {'n': n, 'batchSize': b, 'dropLast': d, 'batches': len(list(BatchSampler(SequentialSampler(range(n)), b, d)))}
    for n, b, d in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False), (1, 4, True)]
]

out = {
    'generator': 'tooling/golden/data/make_fixtures.py',
    'torch': torch.__version__,
    'python': sys.version.split()[0],
    'note': 'left padding emulated with flips (torch 1.13 pad_sequence has no padding_side)',
    'padSequence': pad_cases,
    'collate': collate_case,
    'distributedSampler': shard_cases,
    'bptt': {'stream': stream.tolist(), 'cases': bptt_cases},
    'batchSampler': batch_counts,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
    f.write('\n')
print(json.dumps({'wrote': os.path.relpath(OUT, ROOT), 'bytes': os.path.getsize(OUT)}))
