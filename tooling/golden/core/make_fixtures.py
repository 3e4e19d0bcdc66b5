"""Golden fixtures for @wordloom/core from PyTorch (Debian python3-torch).

Run from the repo root:  /usr/bin/python3 tooling/golden/core/make_fixtures.py
Writes packages/core/test/fixtures/torch-golden.json and from-python.safetensors.

Every case stores its inputs, so the TypeScript tests recompute everything from them and
compare with the torch outputs (float32 in torch too, so both sides round alike).
The safetensors file is written by hand from the documented format (no safetensors
package for Debian's Python): 8-byte LE header length, JSON header, raw LE data.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "packages", "core", "test", "fixtures")


def L(t):
    """Flat list of floats (float32 values printed exactly enough to round-trip)."""
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def shape(t):
    return list(t.shape)


def rnd(*s):
    return torch.randn(*s, dtype=torch.float32)


cases = {}

# Linear: y = x W^T + b ; loss = sum(y * g)
x = rnd(3, 4).requires_grad_()
lin = torch.nn.Linear(4, 5)
g = rnd(3, 5)
y = lin(x)
(y * g).sum().backward()
cases["linear"] = dict(x=L(x), xShape=shape(x), weight=L(lin.weight), bias=L(lin.bias), g=L(g),
                       y=L(y), dx=L(x.grad), dweight=L(lin.weight.grad), dbias=L(lin.bias.grad))

# Embedding with padding_idx: forward and weight gradient (pad row gets none).
emb = torch.nn.Embedding(6, 3, padding_idx=0)
with torch.no_grad():
    emb.weight[0] = torch.tensor([0.5, -0.5, 0.25])  # pad row with values: forward still returns them
ids = torch.tensor([[1, 0, 3, 3], [5, 2, 0, 1]])
g = rnd(2, 4, 3)
y = emb(ids)
(y * g).sum().backward()
cases["embedding"] = dict(weight=L(emb.weight), ids=L(ids.float()), idsShape=shape(ids), paddingIdx=0, g=L(g),
                          y=L(y), dweight=L(emb.weight.grad))

# LayerNorm over the last dim, with learned affine values.
ln = torch.nn.LayerNorm(5, eps=1e-5)
with torch.no_grad():
    ln.weight.copy_(rnd(5))
    ln.bias.copy_(rnd(5))
x = (rnd(2, 3, 5) * 3 + 1).requires_grad_()
g = rnd(2, 3, 5)
y = ln(x)
(y * g).sum().backward()
cases["layerNorm"] = dict(x=L(x), xShape=shape(x), weight=L(ln.weight), bias=L(ln.bias), eps=1e-5, g=L(g),
                          y=L(y), dx=L(x.grad), dweight=L(ln.weight.grad), dbias=L(ln.bias.grad))

# Activations along a middle axis; loss = sum(f(x) * g).
x0 = rnd(2, 3, 4)
g = rnd(2, 3, 4)
acts = {}
for name, f in [
    ("geluExact", lambda t: F.gelu(t)),
    ("geluTanh", lambda t: F.gelu(t, approximate="tanh")),
    ("softmaxAxis1", lambda t: F.softmax(t, dim=1)),
    ("logSoftmaxAxis1", lambda t: F.log_softmax(t, dim=1)),
    ("logSoftmaxLast", lambda t: F.log_softmax(t, dim=-1)),
]:
    x = x0.clone().requires_grad_()
    y = f(x)
    (y * g).sum().backward()
    acts[name] = dict(y=L(y), dx=L(x.grad))
cases["activations"] = dict(x=L(x0), xShape=shape(x0), g=L(g), **acts)

# Cross-entropy: logits [4, 6], class axis last; one target ignored.
logits0 = rnd(4, 6) * 2
targets = torch.tensor([2, -100, 5, 0])
ce = {}
for name, kw in [
    ("mean", dict()),
    ("sum", dict(reduction="sum")),
    ("none", dict(reduction="none")),
    ("smooth", dict(label_smoothing=0.1)),
    ("smoothSum", dict(label_smoothing=0.25, reduction="sum")),
]:
    z = logits0.clone().requires_grad_()
    loss = F.cross_entropy(z, targets, ignore_index=-100, **kw)
    loss.sum().backward()
    ce[name] = dict(loss=L(loss), dlogits=L(z.grad))
# ignore_index other than -100
z = logits0.clone().requires_grad_()
loss = F.cross_entropy(z, torch.tensor([2, 3, 5, 3]), ignore_index=3)
loss.backward()
ce["ignore3"] = dict(targets=[2, 3, 5, 3], loss=L(loss), dlogits=L(z.grad))
cases["crossEntropy"] = dict(logits=L(logits0), logitsShape=shape(logits0), targets=targets.tolist(), **ce)

# Masked sequence cross-entropy = token-level mean over real tokens.
logits0 = rnd(2, 3, 5)
tgt = torch.tensor([[1, 4, 0], [2, 3, 3]])
mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
z = logits0.clone().requires_grad_()
flat_t = torch.where(mask.bool(), tgt, torch.full_like(tgt, -100))
loss = F.cross_entropy(z.reshape(-1, 5), flat_t.reshape(-1), ignore_index=-100)
loss.backward()
z2 = logits0.clone().requires_grad_()
loss_s = F.cross_entropy(z2.reshape(-1, 5), flat_t.reshape(-1), ignore_index=-100, label_smoothing=0.1, reduction="sum")
loss_s.backward()
cases["sequenceCrossEntropy"] = dict(logits=L(logits0), logitsShape=shape(logits0), targets=tgt.tolist(), mask=mask.tolist(),
                                     mean=dict(loss=L(loss), dlogits=L(z.grad)),
                                     smoothSum=dict(loss=L(loss_s), dlogits=L(z2.grad)))

# BCE with logits (including large |x| for stability) and pos_weight; MSE.
xb = torch.tensor([[-30.0, -2.0, 0.0], [0.5, 3.0, 40.0]])
tb = torch.tensor([[0.0, 1.0, 1.0], [0.3, 0.0, 1.0]])
pw = torch.tensor([1.0, 2.0, 0.5])
bce = {}
for name, kw in [("mean", dict()), ("none", dict(reduction="none")), ("weighted", dict(pos_weight=pw))]:
    z = xb.clone().requires_grad_()
    loss = F.binary_cross_entropy_with_logits(z, tb, **kw)
    loss.sum().backward()
    bce[name] = dict(loss=L(loss), dlogits=L(z.grad))
cases["bce"] = dict(logits=L(xb), shape=shape(xb), targets=L(tb), posWeight=L(pw), **bce)
a = rnd(3, 4).requires_grad_()
b = rnd(3, 4)
loss = F.mse_loss(a, b)
loss.backward()
cases["mse"] = dict(a=L(a), b=L(b), shape=shape(a), loss=L(loss), da=L(a.grad), sumLoss=L(F.mse_loss(a, b, reduction="sum")))

# Initializer statistics on a [400, 300] weight (torch's own draws): ours must match these
# and the formulas within sampling error.
shape_w = (400, 300)
stats = {}
def st(t):
    return dict(var=float(t.var(unbiased=False)), mean=float(t.mean()), maxAbs=float(t.abs().max()))
w = torch.empty(*shape_w)
torch.nn.init.xavier_uniform_(w, gain=2.0); stats["xavierUniformGain2"] = st(w)
torch.nn.init.xavier_normal_(w); stats["xavierNormal"] = st(w)
torch.nn.init.kaiming_uniform_(w); stats["kaimingUniform"] = st(w)
torch.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"); stats["kaimingNormalFanOutRelu"] = st(w)
torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5)); stats["pytorchDefault"] = st(w)
torch.nn.init.normal_(w, mean=2.0, std=0.5); stats["normal"] = st(w)
torch.nn.init.uniform_(w, a=-1.0, b=3.0); stats["uniform"] = st(w)
for s in [(6, 4), (4, 6)]:
    q = torch.empty(*s)
    torch.nn.init.orthogonal_(q, gain=1.5)
    gram = q.t() @ q if s[0] >= s[1] else q @ q.t()
    stats[f"orthogonal{s[0]}x{s[1]}"] = dict(maxGramError=float((gram - 2.25 * torch.eye(min(s))).abs().max()))
cases["initStats"] = dict(shape=list(shape_w), stats=stats)

meta = dict(torch=torch.__version__, python=sys.version.split()[0], seed=1234,
            tolerance="rtol 1e-5, atol 1e-6 (float32 on both sides); init statistics: 3% relative on the variance")
with open(os.path.join(OUT, "torch-golden.json"), "w") as f:
    json.dump(dict(meta=meta, cases=cases), f, separators=(",", ":"))

# ---- safetensors written by hand -------------------------------------------------------
g = torch.Generator().manual_seed(7)
tensors = [
    ("f32.matrix", "F32", torch.randn(2, 3, generator=g)),
    ("f16.vector", "F16", torch.tensor([1.0, -2.5, 65504.0, 6.1e-05, 5.96e-08, 0.1])),
    ("bf16.vector", "BF16", torch.tensor([1.0, -3.140625, 1e30, 0.1])),
    ("i32.ids", "I32", torch.tensor([[0, -7], [2147483647, -2147483648]], dtype=torch.int32)),
    ("i64.ids", "I64", torch.tensor([3, -4, 100000], dtype=torch.int64)),
    ("__proto__", "F32", torch.tensor([42.0])),
    ("empty", "F32", torch.zeros(0, 3)),
    ("scalar", "F32", torch.tensor(2.5)),
]
header = {"__metadata__": {"format": "pt", "source": "tooling/golden/core/make_fixtures.py"}}
blobs = []
offset = 0
expected = {}
for name, dt, t in tensors:
    if dt == "F32":
        b = t.to(torch.float32).numpy().astype("<f4").tobytes()
        vals = t.to(torch.float32)
    elif dt == "F16":
        h = t.to(torch.float16)
        b = h.numpy().astype("<f2").tobytes()
        vals = h.to(torch.float32)
    elif dt == "BF16":
        h = t.to(torch.bfloat16)
        b = h.view(torch.int16).numpy().astype("<i2").tobytes()
        vals = h.to(torch.float32)
    elif dt == "I32":
        b = t.numpy().astype("<i4").tobytes(); vals = t
    elif dt == "I64":
        b = t.numpy().astype("<i8").tobytes(); vals = t
    header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
    expected[name] = dict(dtype=dt, shape=list(t.shape), values=[float(v) for v in vals.reshape(-1).tolist()])
    blobs.append(b)
    offset += len(b)
hb = json.dumps(header).encode("utf-8")
hb += b" " * ((8 - len(hb) % 8) % 8)
with open(os.path.join(OUT, "from-python.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hb)))
    f.write(hb)
    for b in blobs:
        f.write(b)
with open(os.path.join(OUT, "from-python.expected.json"), "w") as f:
    json.dump(dict(metadata=header["__metadata__"], tensors=expected), f, indent=1)
print(json.dumps(dict(ok=True, cases=sorted(cases), safetensors=len(tensors))))
