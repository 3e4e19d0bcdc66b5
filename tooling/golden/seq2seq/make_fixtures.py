"""Golden fixtures for @wordloom/seq2seq: a GRU encoder + Luong (general) and Bahdanau (additive)
decoders written in PyTorch with the same parameter names as ours, on a ragged batch.

Writes packages/seq2seq/test/fixtures/seq2seq_golden.json: weights, inputs, teacher-forced logits,
attention weights, loss, and the gradients of a few parameters.

Run from the repository root:  /usr/bin/python3 tooling/golden/seq2seq/make_fixtures.py
(torch 1.13 CPU, Debian's python3-torch; seed 0.)
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)
V, E, H = 9, 5, 6
PAD, BOS, EOS = 0, 1, 2


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=PAD)
        self.rnn = nn.GRU(E, H, batch_first=True)

    def forward(self, ids, lengths):
        x = self.embedding(ids)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return out, h  # [B,S,H], [1,B,H]


def masked_softmax(scores, mask):
    return F.softmax(scores.masked_fill(mask == 0, float('-inf')), dim=-1)


class GeneralScore(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.Linear(H, H, bias=False)

    def forward(self, q, keys):  # q [B,H], keys [B,S,H]
        return torch.einsum('bh,bsh->bs', q, self.attn(keys))


class Luong(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=PAD)
        self.rnn = nn.GRU(E, H, batch_first=True)
        self.score = GeneralScore()
        self.attn_combine = nn.Linear(2 * H, H, bias=False)
        self.out = nn.Linear(H, V)

    def forward(self, h, memory, mask, inputs):
        logits, weights = [], []
        for t in range(inputs.shape[1]):
            x = self.embedding(inputs[:, t])
            _, h = self.rnn(x.unsqueeze(1), h)  # 1. RNN step first
            ht = h[-1]
            a = masked_softmax(self.score(ht, memory), mask)  # 2. attention with the new state
            c = torch.einsum('bs,bsh->bh', a, memory)
            h_tilde = torch.tanh(self.attn_combine(torch.cat([c, ht], 1)))  # 3. h~
            logits.append(self.out(h_tilde))
            weights.append(a)
        return torch.stack(logits, 1), torch.stack(weights, 1)


class Additive(nn.Module):
    def __init__(self):
        super().__init__()
        self.Wa = nn.Linear(H, H)
        self.Ua = nn.Linear(H, H)
        self.Va = nn.Linear(H, 1)

    def forward(self, q, keys):
        return self.Va(torch.tanh(self.Wa(q).unsqueeze(1) + self.Ua(keys))).squeeze(2)


class CellList(nn.Module):
    def __init__(self, inp):
        super().__init__()
        self.add_module('0', nn.GRUCell(inp, H))


class Bahdanau(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=PAD)
        self.rnn = CellList(E + H)
        self.score = Additive()
        self.out = nn.Linear(2 * H, V)

    def forward(self, h, memory, mask, inputs):
        s = h[-1]
        logits, weights = [], []
        for t in range(inputs.shape[1]):
            x = self.embedding(inputs[:, t])
            a = masked_softmax(self.score(s, memory), mask)  # 1. attention with the previous state
            c = torch.einsum('bs,bsh->bh', a, memory)
            s = getattr(self.rnn, '0')(torch.cat([x, c], 1), s)  # 2. context into the RNN input
            logits.append(self.out(torch.cat([s, c], 1)))  # 3. predict from [s; c]
            weights.append(a)
        return torch.stack(logits, 1), torch.stack(weights, 1)


src = torch.tensor([[4, 5, 6, 7, 0], [8, 3, 0, 0, 0], [5, 5, 6, 3, 4]])
src_len = torch.tensor([4, 2, 5])
tgt = torch.tensor([[7, 6, 5, 2], [3, 2, 0, 0], [4, 3, 2, 0]])  # targets end in eos, then pad
tgt_len = torch.tensor([4, 2, 3])
B, T = tgt.shape
inputs = torch.cat([torch.full((B, 1), BOS), tgt[:, :-1]], 1)
mask = (torch.arange(src.shape[1]).unsqueeze(0) < src_len.unsqueeze(1)).float()
tmask = (torch.arange(T).unsqueeze(0) < tgt_len.unsqueeze(1)).float()


def tensor_json(t):
    return {'shape': list(t.shape), 'data': [float(x) for x in t.detach().reshape(-1).tolist()]}


cases = {}
for name, Dec in [('luong', Luong), ('bahdanau', Bahdanau)]:
    enc, dec = Encoder(), Dec()
    memory, h = enc(src, src_len)
    logits, weights = dec(h, memory, mask, inputs)
    nll = F.cross_entropy(logits.reshape(B * T, V), tgt.reshape(-1), reduction='none').reshape(B, T)
    loss = (nll * tmask).sum() / tmask.sum()
    loss.backward()
    params = {}
    for prefix, m in [('encoder', enc), ('decoder', dec)]:
        for k, v in m.state_dict().items():
            params[f'{prefix}.{k}'] = tensor_json(v)
    grads = {}
    for prefix, m in [('encoder', enc), ('decoder', dec)]:
        for k, p in m.named_parameters():
            grads[f'{prefix}.{k}'] = tensor_json(p.grad)
    cases[name] = {
        'params': params,
        'logits': tensor_json(logits),
        'attention': tensor_json(weights),
        'loss': float(loss),
        'grads': grads,
    }

out = {
    'torch': torch.__version__,
    'seed': 0,
    'V': V, 'E': E, 'H': H, 'pad': PAD, 'bos': BOS, 'eos': EOS,
    'src': src.tolist(), 'srcLengths': src_len.tolist(), 'tgt': tgt.tolist(), 'tgtLengths': tgt_len.tolist(),
    'cases': cases,
}
path = os.path.join('packages', 'seq2seq', 'test', 'fixtures', 'seq2seq_golden.json')
with open(path, 'w') as f:
    json.dump(out, f)
print(path, os.path.getsize(path), 'bytes')
