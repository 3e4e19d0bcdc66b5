#!/usr/bin/python3
"""Golden fixtures for @wordloom/rnn from PyTorch (Debian python3-torch).

Run from the repo root:  /usr/bin/python3 tooling/golden/rnn/make_fixtures.py
Writes packages/rnn/test/fixtures/{rnn_golden.json, cells_golden.json, lstm_bi2.safetensors, lstm_bi2.json}.

Each sequence case: a torch.nn.{RNN,LSTM,GRU} (batch_first=True) with float32 weights drawn from
a seeded normal(0, 0.5) (so the values are exactly representable in float32), run in float64 on a
batch-first input x [B,T,D] with ragged lengths (unsorted, including length 1 and T) packed with
pack_padded_sequence(enforce_sorted=False), or with no lengths at all. Loss
  L = sum(outputs * R) + sum(h_n * S) (+ sum(c_n * U) for LSTM)
with fixed random R, S, U; gradients of L w.r.t. every parameter, x, and h0/c0 when given.
Numbers are written with 9 significant digits.
"""
import json, os, struct, sys
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'packages', 'rnn', 'test', 'fixtures')
torch.manual_seed(1234)
G = torch.Generator().manual_seed(20261122)


def rnd(*shape, std=1.0):
    # float32 draws, so JS sees the same numbers exactly
    return (torch.randn(*shape, generator=G, dtype=torch.float32) * std)


def flat(t):
    return [float('%.9g' % v) for v in t.detach().to(torch.float64).reshape(-1).tolist()]


def make_module(mode, D, H, L, bi, bias):
    kw = dict(input_size=D, hidden_size=H, num_layers=L, bidirectional=bi, batch_first=True, bias=bias)
    if mode == 'LSTM':
        m = torch.nn.LSTM(**kw)
    elif mode == 'GRU':
        m = torch.nn.GRU(**kw)
    else:
        m = torch.nn.RNN(nonlinearity='tanh' if mode == 'RNN_TANH' else 'relu', **kw)
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(rnd(*p.shape, std=0.5))
    return m.double()


def seq_case(name, mode, B, T, D, H, L, bi, lengths, init_state, bias=True):
    m = make_module(mode, D, H, L, bi, bias)
    dirs = 2 if bi else 1
    x32 = rnd(B, T, D)
    x = x32.double().requires_grad_(True)
    h0 = c0 = None
    if init_state:
        h0 = rnd(L * dirs, B, H).double().requires_grad_(True)
        if mode == 'LSTM':
            c0 = rnd(L * dirs, B, H).double().requires_grad_(True)
    hx = None if h0 is None else ((h0, c0) if mode == 'LSTM' else h0)
    if lengths is not None:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out_p, st = m(packed, hx)
        out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=T)
    else:
        out, st = m(x, hx)
    h_n, c_n = (st if mode == 'LSTM' else (st, None))
    R = rnd(*out.shape).double()
    S = rnd(*h_n.shape).double()
    loss = (out * R).sum() + (h_n * S).sum()
    U = None
    if c_n is not None:
        U = rnd(*c_n.shape).double()
        loss = loss + (c_n * U).sum()
    loss.backward()
    case = {
        'name': name, 'mode': mode, 'batch': B, 'steps': T, 'inputSize': D, 'hiddenSize': H,
        'numLayers': L, 'bidirectional': bi, 'bias': bias,
        'lengths': lengths,
        'params': {n: {'shape': list(p.shape), 'data': flat(p)} for n, p in m.named_parameters()},
        'x': flat(x), 'R': flat(R), 'S': flat(S),
        'outputs': flat(out), 'h_n': flat(h_n),
        'loss': float(loss),
        'grads': {n: flat(p.grad) for n, p in m.named_parameters()},
        'grad_x': flat(x.grad),
    }
    if U is not None:
        case['U'] = flat(U)
        case['c_n'] = flat(c_n)
    if h0 is not None:
        case['h0'] = flat(h0)
        case['grad_h0'] = flat(h0.grad)
        if c0 is not None:
            case['c0'] = flat(c0)
            case['grad_c0'] = flat(c0.grad)
    return case


def cell_case(mode, B, D, H):
    if mode == 'LSTM':
        m = torch.nn.LSTMCell(D, H)
    elif mode == 'GRU':
        m = torch.nn.GRUCell(D, H)
    else:
        m = torch.nn.RNNCell(D, H, nonlinearity='tanh' if mode == 'RNN_TANH' else 'relu')
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(rnd(*p.shape, std=0.5))
    m = m.double()
    x = rnd(B, D).double().requires_grad_(True)
    h = rnd(B, H).double().requires_grad_(True)
    c = rnd(B, H).double().requires_grad_(True)
    if mode == 'LSTM':
        h1, c1 = m(x, (h, c))
    else:
        h1, c1 = m(x, h), None
    S = rnd(B, H).double()
    loss = (h1 * S).sum()
    U = None
    if c1 is not None:
        U = rnd(B, H).double()
        loss = loss + (c1 * U).sum()
    loss.backward()
    case = {'mode': mode, 'batch': B, 'inputSize': D, 'hiddenSize': H,
            'params': {n: {'shape': list(p.shape), 'data': flat(p)} for n, p in m.named_parameters()},
            'x': flat(x), 'h': flat(h), 'S': flat(S), 'h1': flat(h1),
            'grads': {n: flat(p.grad) for n, p in m.named_parameters()},
            'grad_x': flat(x.grad), 'grad_h': flat(h.grad)}
    if c1 is not None:
        case.update({'c': flat(c), 'U': flat(U), 'c1': flat(c1), 'grad_c': flat(c.grad)})
    return case


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    blobs, off = [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    modes = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU']
    # (layers, bidirectional, lengths-kind, initial state) — a covering design, not the full product
    configs = [
        (1, False, 'ragged', False),
        (1, True, 'ragged', True),
        (2, False, 'full', True),
        (2, True, 'ragged', False),
        (3, True, 'ragged', True),
        (1, False, 'full', False),
        (3, False, 'ragged', False),
        (2, True, 'sorted', True),
    ]
    B, T, D, H = 4, 6, 5, 4
    ragged = [3, 6, 1, 4]   # unsorted, includes 1 and T
    sorted_l = [6, 5, 2, 1]
    for mode in modes:
        for (L, bi, lk, init) in configs:
            lengths = {'ragged': ragged, 'sorted': sorted_l, 'full': None}[lk]
            hid = 3 if L == 3 else H
            name = f'{mode}-L{L}-{"bi" if bi else "uni"}-{lk}-{"h0" if init else "noh0"}'
            cases.append(seq_case(name, mode, B, T, D, hid, L, bi, lengths, init))
        cases.append(seq_case(f'{mode}-L2-bi-ragged-nobias', mode, 3, 5, 3, 3, 2, True, [2, 5, 1], True, bias=False))
    meta = {'generator': 'tooling/golden/rnn/make_fixtures.py', 'torch': torch.__version__,
            'dtype': 'float64 compute, float32-exact weights and inputs',
            'tolerance': {'outputs': 1e-5, 'grads': 1e-4}}
    with open(os.path.join(OUT, 'rnn_golden.json'), 'w') as f:
        json.dump({'meta': meta, 'cases': cases}, f, separators=(',', ':'))
    cells = [cell_case(m, 3, 5, 4) for m in modes]
    with open(os.path.join(OUT, 'cells_golden.json'), 'w') as f:
        json.dump({'meta': meta, 'cases': cells}, f, separators=(',', ':'))

    # A torch state_dict written as safetensors (by hand: Debian has no python safetensors),
    # plus the expected outputs, to prove the names and layouts load unchanged.
    m = torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True, batch_first=True)
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(rnd(*p.shape, std=0.5))
    write_safetensors(os.path.join(OUT, 'lstm_bi2.safetensors'), dict(m.state_dict()),
                      {'format': 'pt', 'source': 'torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True)'})
    x = rnd(2, 4, 3)
    with torch.no_grad():
        out, (h, c) = m(pack_padded_sequence(x, torch.tensor([2, 4]), batch_first=True, enforce_sorted=False))
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=4)
    with open(os.path.join(OUT, 'lstm_bi2.json'), 'w') as f:
        json.dump({'meta': meta, 'x': flat(x), 'lengths': [2, 4], 'outputs': flat(out), 'h_n': flat(h),
                   'c_n': flat(c)}, f, separators=(',', ':'))
    for fn in sorted(os.listdir(OUT)):
        print(fn, os.path.getsize(os.path.join(OUT, fn)))


if __name__ == '__main__':
    main()
