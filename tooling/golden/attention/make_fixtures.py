"""Golden fixtures for @wordloom/attention from PyTorch (Debian python3-torch 1.13, CPU).

Run:  /usr/bin/python3 tooling/golden/attention/make_fixtures.py
Writes packages/attention/test/fixtures/attention.json

Every case stores inputs, parameters (PyTorch state_dict names), outputs, and the
gradients of the fixed loss  L = sum(output * R) (+ sum(weights * Rw))  with respect to the
inputs and the parameters; R is stored too. float32 throughout, seed 1234.
Tolerances used by the tests: outputs 1e-5, gradients 1e-4 (absolute + relative).
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1234)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'attention', 'test', 'fixtures', 'attention.json')


def T(x):
    x = x.detach().to(torch.float32) if x.dtype.is_floating_point else x.detach()
    if x.dtype == torch.bool:
        data = [1 if v else 0 for v in x.reshape(-1).tolist()]
    elif x.dtype.is_floating_point:
        data = [float('%.8g' % v) for v in x.reshape(-1).tolist()]
    else:
        data = x.reshape(-1).tolist()
    return {'shape': list(x.shape), 'data': data}


def rand(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def masked_softmax(scores, allowed):
    # allowed: bool, True = may attend. Masked positions exactly 0, fully-masked rows 0.
    s = scores.masked_fill(~allowed, float('-inf'))
    w = torch.softmax(s, dim=-1)
    return torch.nan_to_num(w, nan=0.0)


def attend(q, k, v, score_fn, lengths):
    """q [B,Tq,Dq] or [B,Dq]; returns context, weights."""
    squeeze = q.dim() == 2
    if squeeze:
        q = q.unsqueeze(1)
    B, Tk = k.shape[0], k.shape[1]
    scores = score_fn(q, k)  # [B,Tq,Tk]
    allowed = (torch.arange(Tk)[None, :] < lengths[:, None])[:, None, :].expand_as(scores)
    w = masked_softmax(scores, allowed)
    ctx = torch.bmm(w, v)
    if squeeze:
        return ctx[:, 0], w[:, 0]
    return ctx, w


cases = {}


def score_case(name, kind, Dq, Dk, Dv, A=5, query2d=False, lengths=(5, 3)):
    B, Tq, Tk = 2, 3, 5
    q = rand(B, Dq) if query2d else rand(B, Tq, Dq)
    k = rand(B, Tk, Dk)
    v = rand(B, Tk, Dv)
    for t in (q, k, v):
        t.requires_grad_(True)
    params = {}
    if kind == 'dot':
        fn = lambda q, k: torch.bmm(q, k.transpose(1, 2))
    elif kind == 'scaledDot':
        fn = lambda q, k: torch.bmm(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])
    elif kind == 'general':
        # Luong general: q^T W k, W = nn.Linear(Dk, Dq, bias=False) applied to the keys.
        attn = nn.Linear(Dk, Dq, bias=False)
        params = {'attn.weight': attn.weight}
        fn = lambda q, k: torch.bmm(q, attn(k).transpose(1, 2))
    elif kind == 'concat':
        # Luong concat: v^T tanh(W [q; k]), W = nn.Linear(Dq + Dk, A, bias=False), v [A].
        attn = nn.Linear(Dq + Dk, A, bias=False)
        vv = nn.Parameter(torch.randn(A) * 0.5)
        params = {'attn.weight': attn.weight, 'v': vv}

        def fn(q, k):
            Tq_, Tk_ = q.shape[1], k.shape[1]
            cat = torch.cat([q[:, :, None, :].expand(-1, -1, Tk_, -1), k[:, None, :, :].expand(-1, Tq_, -1, -1)], -1)
            return (torch.tanh(attn(cat)) * vv).sum(-1)
    elif kind == 'additive':
        # Bahdanau (PyTorch seq2seq tutorial names): Va(tanh(Wa q + Ua k)).
        Wa, Ua, Va = nn.Linear(Dq, A), nn.Linear(Dk, A), nn.Linear(A, 1)
        params = {'Wa.weight': Wa.weight, 'Wa.bias': Wa.bias, 'Ua.weight': Ua.weight, 'Ua.bias': Ua.bias,
                  'Va.weight': Va.weight, 'Va.bias': Va.bias}
        fn = lambda q, k: Va(torch.tanh(Wa(q)[:, :, None, :] + Ua(k)[:, None, :, :])).squeeze(-1)
    lens = torch.tensor(lengths)
    ctx, w = attend(q, k, v, fn, lens)
    R = rand(*ctx.shape)
    Rw = rand(*w.shape)
    loss = (ctx * R).sum() + (w * Rw).sum()
    plist = list(params.values())
    grads = torch.autograd.grad(loss, [q, k, v] + plist)
    c = {'kind': kind, 'attnDim': A, 'lengths': list(lengths), 'tensors': {
        'query': T(q), 'keys': T(k), 'values': T(v), 'R': T(R), 'Rw': T(Rw),
        'context': T(ctx), 'weights': T(w),
        'grad.query': T(grads[0]), 'grad.keys': T(grads[1]), 'grad.values': T(grads[2]),
    }, 'params': {n: T(p) for n, p in params.items()},
        'paramGrads': {n: T(g) for n, g in zip(params.keys(), grads[3:])}}
    cases[name] = c


score_case('dot', 'dot', 4, 4, 3)
score_case('scaledDot', 'scaledDot', 4, 4, 3)
score_case('general', 'general', 4, 6, 3)
score_case('concat', 'concat', 4, 6, 3)
score_case('additive', 'additive', 4, 6, 3)
score_case('additive_query2d', 'additive', 4, 6, 3, query2d=True, lengths=(2, 5))
score_case('dot_query2d', 'dot', 4, 4, 3, query2d=True, lengths=(5, 1))


def mha_case(name, E, H, kdim=None, vdim=None, bias=True, self_attn=True, kpm=None, attn_mask=None,
             average=True, Tq=4, Tk=5):
    B = 2
    mha = nn.MultiheadAttention(E, H, bias=bias, batch_first=True, kdim=kdim, vdim=vdim)
    # non-zero biases so the test exercises them
    with torch.no_grad():
        for n, p in mha.named_parameters():
            if 'bias' in n:
                p.normal_(0, 0.2)
    mha.eval()
    if self_attn:
        x = rand(B, Tq, E).requires_grad_(True)
        q = k = v = x
        ins = {'x': x}
        Tk = Tq
    else:
        q = rand(B, Tq, E).requires_grad_(True)
        k = rand(B, Tk, kdim or E).requires_grad_(True)
        v = rand(B, Tk, vdim or E).requires_grad_(True)
        ins = {'query': q, 'key': k, 'value': v}
    kpm_t = None
    if kpm is not None:
        kpm_t = torch.arange(Tk)[None, :] >= torch.tensor(kpm)[:, None]  # True = pad (torch semantics)
    am = None
    if attn_mask == 'causal_bool':
        am = torch.triu(torch.ones(Tq, Tk, dtype=torch.bool), diagonal=1)
    elif attn_mask == 'additive':
        am = torch.randn(Tq, Tk) * 0.5
        am[0, 1] = float('-inf')
    elif attn_mask == 'bool3d':
        am = torch.rand(B * H, Tq, Tk) < 0.3
        am[:, :, 0] = False  # keep every row attendable
    out, w = mha(q, k, v, key_padding_mask=kpm_t, attn_mask=am, need_weights=True,
                 average_attn_weights=average)
    R = rand(*out.shape)
    Rw = rand(*w.shape)
    loss = (out * R).sum() + (w * Rw).sum()
    names = [n for n, _ in mha.named_parameters()]
    params = [p for _, p in mha.named_parameters()]
    inputs = list(ins.values())
    grads = torch.autograd.grad(loss, inputs + params)
    t = {n: T(v_) for n, v_ in ins.items()}
    t.update({'R': T(R), 'Rw': T(Rw), 'output': T(out), 'weights': T(w)})
    for n, g in zip(ins.keys(), grads[:len(inputs)]):
        t['grad.' + n] = T(g)
    if kpm_t is not None:
        t['keyPaddingMask'] = T(kpm_t)
    if am is not None:
        if am.dtype == torch.bool:
            t['attnMask'] = T(am)
        else:
            t['attnMaskAdditive'] = T(am.masked_fill(torch.isinf(am), -1e30))
    cases[name] = {'kind': 'mha', 'embedDim': E, 'numHeads': H, 'kdim': kdim, 'vdim': vdim, 'bias': bias,
                   'selfAttention': self_attn, 'averageAttnWeights': average, 'tensors': t,
                   'params': {n: T(p) for n, p in zip(names, params)},
                   'paramGrads': {n: T(g) for n, g in zip(names, grads[len(inputs):])}}


mha_case('mha_self_kpm', 8, 2, kpm=[4, 2])
mha_case('mha_self_causal_perhead', 8, 2, attn_mask='causal_bool', kpm=[4, 3], average=False)
mha_case('mha_cross_kvdim_additive', 8, 4, kdim=6, vdim=5, self_attn=False, attn_mask='additive', kpm=[5, 3])
mha_case('mha_cross_bool3d_nobias', 8, 2, bias=False, self_attn=False, attn_mask='bool3d', average=False)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'tooling/golden/attention/make_fixtures.py', 'torch': torch.__version__,
               'seed': 1234, 'cases': cases}, f, separators=(',', ':'))
print(OUT, os.path.getsize(OUT))
