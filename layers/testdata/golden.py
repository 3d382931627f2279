#!/usr/bin/python3
"""Golden values for zoo's residual variants, computed by PyTorch.

Run with Debian's python3-torch 1.13 (the same libtorch build zoo links):
    /usr/bin/python3 layers/testdata/golden.py > layers/testdata/golden.json

Each case fixes an input x, a sublayer F (a 1x1 channel mix followed by
tanh), the variant's own parameters (set away from their 1/0 init so
their gradients mean something) and a weighting R of the output. It
records y, dL/dx and dL/dparam for L = sum(R * y). The formulas here are
written from the paper, independently of the Go code.
"""
import json
import math
import sys

import torch
import torch.nn.functional as Fn

torch.set_default_dtype(torch.float32)
B, T, C, H, W = 2, 3, 4, 3, 3
EPS = 1e-5


def ramp(shape, a, b):
    """Deterministic, irregular values: no RNG to replicate in Go."""
    n = math.prod(shape)
    vals = [math.sin(a * i + b) + 0.3 * math.cos(0.7 * a * i * i + b) for i in range(n)]
    return torch.tensor(vals, dtype=torch.float32).reshape(shape)


def sublayer(x, w, spatial):
    if spatial:
        return torch.tanh(Fn.conv2d(x, w.reshape(C, C, 1, 1)))
    return torch.tanh(x.matmul(w))


def norm(kind, x, p, spatial):
    w, b = p["weight"], p["bias"]
    if kind == "batch":
        flat = x if spatial else x.reshape(-1, C)
        y = Fn.batch_norm(flat, p["running_mean"], p["running_var"], w, b, training=True, momentum=0.1, eps=EPS)
        return y if spatial else y.reshape(x.shape)
    if spatial and kind == "layer":
        return Fn.group_norm(x, 1, w, b, EPS)
    if spatial and kind == "layer-channel":
        return Fn.layer_norm(x.permute(0, 2, 3, 1), (C,), w, b, EPS).permute(0, 3, 1, 2)
    return Fn.layer_norm(x, (C,), w, b, EPS)


def norm_params(prefix, k):
    return {
        prefix + ".weight": 1.0 + 0.1 * ramp([C], 0.9 + k, 0.2),
        prefix + ".bias": 0.1 * ramp([C], 1.3 + k, 0.5),
    }


def norm_buffers(kind, prefix):
    """Batch norm's running statistics, which training updates in place."""
    if kind != "batch":
        return {}
    return {prefix + ".running_mean": torch.zeros(C), prefix + ".running_var": torch.ones(C)}


def sub(params, prefix):
    return {k[len(prefix) + 1:]: v for k, v in params.items() if k.startswith(prefix + ".")}


def variant(name, args, spatial):
    """Returns (param tensors by Go name, forward(x, F) -> y)."""
    kind = args.get("norm", "layer")
    lam = args.get("lambda", 1.0)
    if name == "plain":
        return {}, lambda x, f: x + f(x)
    if name == "scaled":
        return {}, lambda x, f: lam * x + f(x)
    if name in ("scaled-ln", "post-ln"):
        params = {**norm_params("norm", 0), **norm_buffers(kind, "norm")}
        return params, lambda x, f: norm(kind, lam * x + f(x), sub(params, "norm"), spatial)
    if name == "pre-ln":
        params = {**norm_params("norm", 0), **norm_buffers(kind, "norm")}
        return params, lambda x, f: x + f(norm(kind, x, sub(params, "norm"), spatial))
    if name == "rskip-ln":
        order = args.get("order", 2)
        shared = args.get("shared_norm", False)
        params = {}
        prefixes = ["norm"] * order if shared else [f"norms.{k}" for k in range(order)]
        for k, pre in enumerate(dict.fromkeys(prefixes)):
            params.update(norm_params(pre, k))
            params.update(norm_buffers(kind, pre))

        def fwd(x, f):
            y = norm(kind, x + f(x), sub(params, prefixes[0]), spatial)
            for pre in prefixes[1:]:
                y = norm(kind, x + y, sub(params, pre), spatial)
            return y

        return params, fwd
    raise ValueError(name)


CASES = [
    ("plain", {}, False), ("plain", {}, True),
    ("scaled", {"lambda": 0.5}, False), ("scaled", {"lambda": 2.0}, True),
    ("scaled-ln", {"lambda": 2.0}, False), ("scaled-ln", {"lambda": 2.0}, True),
    ("scaled-ln", {"lambda": 0.5, "norm": "batch"}, True),
    ("scaled-ln", {"lambda": 2.0, "norm": "layer-channel"}, True),
    ("post-ln", {}, False), ("post-ln", {}, True), ("post-ln", {"norm": "batch"}, False),
    ("pre-ln", {}, False), ("pre-ln", {"norm": "layer-channel"}, True), ("pre-ln", {"norm": "batch"}, True),
    ("rskip-ln", {"order": 1}, False), ("rskip-ln", {"order": 2}, False),
    ("rskip-ln", {"order": 3}, False), ("rskip-ln", {"order": 3, "shared_norm": True}, False),
    ("rskip-ln", {"order": 2}, True), ("rskip-ln", {"order": 2, "norm": "batch"}, True),
    ("rskip-ln", {"order": 2, "norm": "layer-channel"}, True),
]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(i, name, args, spatial):
    shape = [B, C, H, W] if spatial else [B, T, C]
    x = ramp(shape, 0.37 + 0.01 * i, 0.1).requires_grad_(True)
    w = 0.5 * ramp([C, C], 0.53, 0.3)
    r = ramp(shape, 0.71, 0.9)
    params, fwd = variant(name, args, spatial)
    trainable = {k: v for k, v in params.items() if "running_" not in k}
    for p in trainable.values():
        p.requires_grad_(True)
    before = {k: flat(v) for k, v in params.items()}
    y = fwd(x, lambda z: sublayer(z, w, spatial))
    (y * r).sum().backward()
    return {
        "variant": name, "params": args, "spatial": spatial, "shape": shape,
        "x": flat(x), "sublayer_weight": flat(w), "r": flat(r),
        "variables": before,
        "y": flat(y), "grad_x": flat(x.grad),
        "grad_variables": {k: flat(v.grad) for k, v in trainable.items()},
        "variables_after": {k: flat(v) for k, v in params.items() if k not in trainable},
    }


def main():
    out = {"generator": "layers/testdata/golden.py", "torch": torch.__version__,
           "cases": [run(i, *c) for i, c in enumerate(CASES)]}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
