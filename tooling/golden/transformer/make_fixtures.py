"""Golden fixtures for @wordloom/transformer from PyTorch (Debian python3-torch 1.13, CPU).

Run:  /usr/bin/python3 tooling/golden/transformer/make_fixtures.py
Writes packages/transformer/test/fixtures/transformer.json and transformer.safetensors

- nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (batch_first=True, eval mode) in
  post-norm and norm_first, ReLU and GELU; outputs and gradients of L = sum(out * R) with
  respect to the inputs and every parameter (state_dict names).
- A 2-layer nn.Transformer (2 encoder + 2 decoder layers, final norms) whose weights are in
  transformer.safetensors, written by hand below (8-byte little-endian header length + JSON
  header {dtype, shape, data_offsets} + raw little-endian float32), because Debian has no
  Python safetensors package.
float32, seed 4321. Tolerances used by the tests: outputs 1e-5, gradients 1e-4.
"""
import json
import os
import struct

import torch
import torch.nn as nn

torch.manual_seed(4321)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
FIX = os.path.join(ROOT, 'packages', 'transformer', 'test', 'fixtures')


def T(x):
    x = x.detach()
    if x.dtype == torch.bool:
        data = [1 if v else 0 for v in x.reshape(-1).tolist()]
    elif x.dtype.is_floating_point:
        data = [float('%.8g' % v) for v in x.reshape(-1).tolist()]
    else:
        data = x.reshape(-1).tolist()
    return {'shape': list(x.shape), 'data': data}


def randomize_biases(m):
    # PyTorch initialises MHA biases and LayerNorm to 0/1: perturb them so the test sees them.
    with torch.no_grad():
        for n, p in m.named_parameters():
            if n.endswith('bias') or 'norm' in n:
                p.add_(torch.randn_like(p) * 0.2)


def pad_mask(lengths, T_):
    return torch.arange(T_)[None, :] >= torch.tensor(lengths)[:, None]  # True = pad


def causal(T_):
    return torch.triu(torch.ones(T_, T_, dtype=torch.bool), diagonal=1)  # True = not allowed


cases = {}
E, H, FF, B = 8, 2, 16, 2


def finish(name, kind, cfg, module, ins, out, extra):
    R = torch.randn(*out.shape)
    loss = (out * R).sum()
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]
    grads = torch.autograd.grad(loss, list(ins.values()) + params)
    t = {n: T(v) for n, v in ins.items()}
    t.update({'R': T(R), 'output': T(out)})
    for n, g in zip(ins.keys(), grads[:len(ins)]):
        t['grad.' + n] = T(g)
    t.update({n: T(v) for n, v in extra.items()})
    c = {'kind': kind, 'config': cfg, 'tensors': t,
         'paramGrads': {n: T(g) for n, g in zip(names, grads[len(ins):])}}
    return c, names, params


def enc_case(name, norm_first, activation):
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.1, activation=activation, batch_first=True,
                                       norm_first=norm_first)
    randomize_biases(layer)
    layer.eval()
    Tn = 5
    x = torch.randn(B, Tn, E, requires_grad=True)
    kpm = pad_mask([5, 3], Tn)
    out = layer(x, src_key_padding_mask=kpm)
    c, names, params = finish(name, 'encoderLayer', {'dModel': E, 'nhead': H, 'dimFeedforward': FF,
                                                    'normFirst': norm_first, 'activation': activation},
                              layer, {'src': x}, out, {'srcKeyPaddingMask': kpm})
    c['params'] = {n: T(p) for n, p in zip(names, params)}
    cases[name] = c


def dec_case(name, norm_first, activation):
    layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.1, activation=activation, batch_first=True,
                                       norm_first=norm_first)
    randomize_biases(layer)
    layer.eval()
    Tt, Ts = 4, 5
    tgt = torch.randn(B, Tt, E, requires_grad=True)
    mem = torch.randn(B, Ts, E, requires_grad=True)
    tkpm = pad_mask([4, 3], Tt)
    mkpm = pad_mask([5, 2], Ts)
    out = layer(tgt, mem, tgt_mask=causal(Tt), tgt_key_padding_mask=tkpm, memory_key_padding_mask=mkpm)
    c, names, params = finish(name, 'decoderLayer', {'dModel': E, 'nhead': H, 'dimFeedforward': FF,
                                                    'normFirst': norm_first, 'activation': activation},
                              layer, {'tgt': tgt, 'memory': mem}, out,
                              {'tgtMask': causal(Tt), 'tgtKeyPaddingMask': tkpm, 'memoryKeyPaddingMask': mkpm})
    c['params'] = {n: T(p) for n, p in zip(names, params)}
    cases[name] = c


enc_case('encoder_post_relu', False, 'relu')
enc_case('encoder_pre_gelu', True, 'gelu')
enc_case('encoder_post_gelu', False, 'gelu')
enc_case('encoder_pre_relu', True, 'relu')
dec_case('decoder_post_relu', False, 'relu')
dec_case('decoder_pre_gelu', True, 'gelu')
dec_case('decoder_post_gelu', False, 'gelu')
dec_case('decoder_pre_relu', True, 'relu')


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    offset = 0
    blobs = []
    for n, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[n] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)  # align the data to 8 bytes, as the reference writer does
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# 2-layer nn.Transformer, eval mode
model = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF,
                       dropout=0.1, batch_first=True)
randomize_biases(model)
model.eval()
Ts, Tt = 5, 4
src = torch.randn(B, Ts, E, requires_grad=True)
tgt = torch.randn(B, Tt, E, requires_grad=True)
skpm = pad_mask([5, 3], Ts)
tkpm = pad_mask([4, 2], Tt)
out = model(src, tgt, tgt_mask=causal(Tt), src_key_padding_mask=skpm, tgt_key_padding_mask=tkpm,
            memory_key_padding_mask=skpm)
c, names, params = finish('transformer', 'transformer', {'dModel': E, 'nhead': H, 'dimFeedforward': FF,
                                                         'numEncoderLayers': 2, 'numDecoderLayers': 2},
                          model, {'src': src, 'tgt': tgt}, out,
                          {'srcKeyPaddingMask': skpm, 'tgtKeyPaddingMask': tkpm, 'tgtMask': causal(Tt)})
# keep only a few parameter gradients for the full model to keep the fixture small
keep = [n for n in names if n.startswith('encoder.layers.0.') or n.startswith('decoder.layers.1.') or '.norm.' in n
        or n.startswith('encoder.norm') or n.startswith('decoder.norm')]
c['paramGrads'] = {n: g for n, g in c['paramGrads'].items() if n in keep}
c['weightsFile'] = 'transformer.safetensors'
cases['transformer'] = c
sd = model.state_dict()
write_safetensors(os.path.join(FIX, 'transformer.safetensors'), {n: sd[n] for n in names},
                  {'format': 'pt', 'generator': 'tooling/golden/transformer/make_fixtures.py',
                   'torch': torch.__version__})

os.makedirs(FIX, exist_ok=True)
with open(os.path.join(FIX, 'transformer.json'), 'w') as f:
    json.dump({'generator': 'tooling/golden/transformer/make_fixtures.py', 'torch': torch.__version__,
               'seed': 4321, 'cases': cases}, f, separators=(',', ':'))
print('ok', os.path.getsize(os.path.join(FIX, 'transformer.json')),
      os.path.getsize(os.path.join(FIX, 'transformer.safetensors')))
