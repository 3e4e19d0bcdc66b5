"""Golden fixtures for @wordloom/seq2seq: a GRU encoder + Luong (general) and Bahdanau (additive)
decoders written in PyTorch with the same parameter names as ours, on a ragged batch.

Writes packages/seq2seq/test/fixtures/seq2seq_golden.json: weights, inputs, teacher-forced logits,
attention weights, loss, and the gradients of a few parameters.

Then packages/seq2seq/test/fixtures/seq2seq_input_feeding.json: Luong decoders with input feeding
(Luong et al. 2015, section 3.3: the RNN input at step t is [emb(y_{t-1}); h~_{t-1}], h~_0 = 0):
  - 'gru_general_teacher': 1-layer GRU, general score, teacher forcing;
  - 'lstm2_concat_sampled': 2-layer LSTM encoder and decoder, concat score, teacher-forcing ratio 0
    (every step after the first is fed the model's own argmax, no gradient through the choice).
The cases of the first file are generated first, so its content is unchanged by the second.

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

def write_fixture(name, fixture_cases):
    """Writes packages/seq2seq/test/fixtures/<name>: the shared batch and sizes, plus the cases."""
    out = {
        'torch': torch.__version__,
        'seed': 0,
        'V': V, 'E': E, 'H': H, 'pad': PAD, 'bos': BOS, 'eos': EOS,
        'src': src.tolist(), 'srcLengths': src_len.tolist(), 'tgt': tgt.tolist(), 'tgtLengths': tgt_len.tolist(),
        'cases': fixture_cases,
    }
    path = os.path.join('packages', 'seq2seq', 'test', 'fixtures', name)
    with open(path, 'w') as f:
        json.dump(out, f)
    return path


path = write_fixture('seq2seq_golden.json', cases)
print(path, os.path.getsize(path), 'bytes')


# ---------------------------------------------------------------------------------------------
# Input feeding (Luong et al. 2015, section 3.3). Same batch; new modules after the cases above.


class EncoderN(nn.Module):
    def __init__(self, cell, layers):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=PAD)
        self.rnn = (nn.LSTM if cell == 'lstm' else nn.GRU)(E, H, num_layers=layers, batch_first=True)

    def forward(self, ids, lengths):
        x = self.embedding(ids)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return out, state  # [B,S,H]; h [L,B,H] (LSTM: (h, c))


class ConcatScore(nn.Module):
    """score(q, k) = v . tanh(W [q; k]), W = attn.weight [H, 2H] without bias (ours: ConcatScore)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.Linear(2 * H, H, bias=False)
        self.v = nn.Parameter(torch.empty(H).uniform_(-H ** -0.5, H ** -0.5))

    def forward(self, q, keys):
        Wq, Wk = self.attn.weight[:, :H], self.attn.weight[:, H:]
        return torch.einsum('bsa,a->bs', torch.tanh((q @ Wq.t()).unsqueeze(1) + keys @ Wk.t()), self.v)


class LuongFeed(nn.Module):
    def __init__(self, cell, layers, score):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=PAD)
        # The RNN input is [emb; h~]: E + H features.
        self.rnn = (nn.LSTM if cell == 'lstm' else nn.GRU)(E + H, H, num_layers=layers, batch_first=True)
        self.score = GeneralScore() if score == 'general' else ConcatScore()
        self.attn_combine = nn.Linear(2 * H, H, bias=False)
        self.out = nn.Linear(H, V)

    def forward(self, state, memory, mask, first, truth, sampled):
        """first [B] (bos); truth [B, T-1] fed when not sampled; sampled: feed the argmax instead."""
        B = first.shape[0]
        h_tilde = torch.zeros(B, H)  # h~_0 = 0
        y = first
        logits, weights, margins = [], [], []
        for t in range(truth.shape[1] + 1):
            x = torch.cat([self.embedding(y), h_tilde], 1)  # input feeding
            _, state = self.rnn(x.unsqueeze(1), state)  # 1. RNN step first
            ht = (state[0] if isinstance(state, tuple) else state)[-1]
            a = masked_softmax(self.score(ht, memory), mask)  # 2. attention with the new state
            c = torch.einsum('bs,bsh->bh', a, memory)
            h_tilde = torch.tanh(self.attn_combine(torch.cat([c, ht], 1)))  # 3. h~_t, fed to step t+1
            lg = self.out(h_tilde)
            logits.append(lg)
            weights.append(a)
            if t < truth.shape[1]:
                if sampled:
                    top2 = lg.detach().topk(2, dim=1).values
                    margins.append(float((top2[:, 0] - top2[:, 1]).min()))
                    y = lg.detach().argmax(1)
                else:
                    y = truth[:, t]
        return torch.stack(logits, 1), torch.stack(weights, 1), margins


def tensor_json9(t):
    """9 significant digits: enough to round-trip float32, and a smaller file."""
    return {'shape': list(t.shape), 'data': [float('%.9g' % x) for x in t.detach().reshape(-1).tolist()]}


feed_cases = {}
for name, cell, layers, score, sampled in [
    ('gru_general_teacher', 'gru', 1, 'general', False),
    ('lstm2_concat_sampled', 'lstm', 2, 'concat', True),
]:
    enc, dec = EncoderN(cell, layers), LuongFeed(cell, layers, score)
    memory, state = enc(src, src_len)
    logits, weights, margins = dec(state, memory, mask, torch.full((B,), BOS), tgt[:, :-1], sampled)
    # Argmax ties would make the sampled case depend on float rounding: require a clear winner.
    assert not margins or min(margins) > 1e-3, margins
    nll = F.cross_entropy(logits.reshape(B * T, V), tgt.reshape(-1), reduction='none').reshape(B, T)
    loss = (nll * tmask).sum() / tmask.sum()
    loss.backward()
    params, grads = {}, {}
    for prefix, m in [('encoder', enc), ('decoder', dec)]:
        for k, v in m.state_dict().items():
            params[f'{prefix}.{k}'] = tensor_json9(v)
        for k, p in m.named_parameters():
            grads[f'{prefix}.{k}'] = tensor_json9(p.grad)
    feed_cases[name] = {
        'cell': cell, 'numLayers': layers, 'score': score, 'teacherForcingRatio': 0 if sampled else 1,
        'minArgmaxMargin': min(margins) if margins else None,
        'params': params,
        'logits': tensor_json9(logits),
        'attention': tensor_json9(weights),
        'loss': float(loss),
        'grads': grads,
    }

path = write_fixture('seq2seq_input_feeding.json', feed_cases)
print(path, os.path.getsize(path), 'bytes', 'min argmax margin', feed_cases['lstm2_concat_sampled']['minArgmaxMargin'])
