#!/usr/bin/python3
"""Golden values for zoo's optimizers and gradient clipping, from PyTorch.

    /usr/bin/python3 train/testdata/optim_golden.py > train/testdata/optim_golden.json

Two parameters (a matrix and a vector) are trained for 5 steps on a fixed
loss; each case records the parameters after every step. Adam with weight
decay is compared with torch.optim.AdamW, whose decoupled decay
(p *= 1 - lr*wd before the update) is fairseq's Adam's too.
"""
import json
import math
import sys

import torch


def ramp(shape, a, b):
    n = math.prod(shape)
    vals = [math.sin(a * i + b) + 0.3 * math.cos(0.7 * a * i * i + b) for i in range(n)]
    return torch.tensor(vals, dtype=torch.float32).reshape(shape)


X = ramp([5, 3], 0.41, 0.2)
R = ramp([5, 4], 0.77, 0.6)


def loss_of(w, b):
    return (R * torch.tanh(X.matmul(w) + b)).sum() + 0.5 * (w * w).sum()


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(name, make_opt, clip=0.0, steps=5):
    w = ramp([3, 4], 0.53, 0.1).requires_grad_(True)
    b = ramp([4], 0.91, 0.4).requires_grad_(True)
    opt = make_opt([b, w])
    out = {"name": name, "w0": flat(w), "b0": flat(b), "steps": [], "grad_norms": []}
    for _ in range(steps):
        opt.zero_grad()
        loss_of(w, b).backward()
        out["grad_norms"].append(float(torch.nn.utils.clip_grad_norm_([b, w], clip if clip > 0 else float("inf"))))
        opt.step()
        out["steps"].append({"w": flat(w), "b": flat(b)})
    return out


CASES = [
    ("adam", lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.98), eps=1e-9), 0.0),
    ("adam-wd", lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.98), eps=1e-9, weight_decay=0.1), 0.0),
    ("adam-clip", lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.98), eps=1e-9), 0.5),
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1), 0.0),
    ("sgd-momentum-wd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2), 0.0),
    ("sgd-nesterov-wd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2, nesterov=True), 0.0),
]

json.dump({"generator": "train/testdata/optim_golden.py", "torch": torch.__version__,
           "x": flat(X), "r": flat(R), "cases": [run(*c) for c in CASES]}, sys.stdout, indent=1)
sys.stdout.write("\n")
