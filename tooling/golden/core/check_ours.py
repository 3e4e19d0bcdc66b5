"""Reads the safetensors files written by @wordloom/core (packages/core/test/fixtures/
ours-*.safetensors) in Python, from the documented format, and checks them against
ours.spec.json. Prints one JSON line per run; that line is committed as
packages/core/test/fixtures/python-read-check.json and the TypeScript test checks it
(sha256 of the bytes our writer produces today, and the values Python decoded).

Run from the repo root after `node packages/core/scripts/write-ours-safetensors.mjs`:
  /usr/bin/python3 tooling/golden/core/check_ours.py > packages/core/test/fixtures/python-read-check.json
"""
import hashlib
import json
import os
import struct

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIX = os.path.join(ROOT, "packages", "core", "test", "fixtures")
spec = json.load(open(os.path.join(FIX, "ours.spec.json")))
NP = {"F32": "<f4", "F16": "<f2", "I32": "<i4", "BOOL": "u1"}
out = {"torch": torch.__version__, "numpy": np.__version__, "files": {}}
for kind in ["f32", "f16"]:
    path = os.path.join(FIX, f"ours-{kind}.safetensors")
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0, "header padded to 8 bytes"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__")
    assert meta == spec["metadata"], (meta, spec["metadata"])
    names = list(header.keys())
    assert names == [t["name"] for t in spec["tensors"]], names
    decoded = {}
    end = 0
    for t in spec["tensors"]:
        h = header[t["name"]]
        b, e = h["data_offsets"]
        assert b == end, "contiguous"
        end = e
        arr = np.frombuffer(data[b:e], dtype=NP[h["dtype"]]).reshape(h["shape"])
        assert list(arr.shape) == t["shape"]
        want_dtype = {"float32": "F16" if kind == "f16" else "F32", "int32": "I32", "bool": "BOOL"}[t["dtype"]]
        assert h["dtype"] == want_dtype, (h["dtype"], want_dtype)
        ref = np.array(t["values"], dtype={"F32": np.float32, "F16": np.float16, "I32": np.int32, "BOOL": np.uint8}[h["dtype"]])
        assert np.array_equal(arr.reshape(-1), ref.reshape(-1)), (t["name"], arr, ref)
        # And through torch, as a user would load it.
        tt = torch.from_numpy(arr.copy())
        # Non-finite values as strings ("Infinity", "-Infinity", "NaN"): JSON has no literal for them.
        vals = [float(v) if np.isfinite(v) else repr(float(v)).replace("inf", "Infinity").replace("nan", "NaN") for v in tt.reshape(-1).tolist()]
        decoded[t["name"]] = {"dtype": h["dtype"], "shape": list(tt.shape), "values": vals}
    assert end == len(data), "no trailing bytes"
    out["files"][kind] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw), "ok": True, "tensors": decoded}
print(json.dumps(out, allow_nan=False))
