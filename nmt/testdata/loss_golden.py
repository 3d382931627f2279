#!/usr/bin/python3
"""Golden values for nmt.LabelSmoothedLoss: fairseq's label-smoothed
cross entropy written out term by term (not through PyTorch's
label_smoothing argument, which zoo uses), with the gradient.

    /usr/bin/python3 nmt/testdata/loss_golden.py > nmt/testdata/loss_golden.json
"""
import json
import math
import sys

import torch

B, T, V, PAD, EPS = 2, 3, 7, 1, 0.1


def ramp(shape, a, b):
    n = math.prod(shape)
    return torch.tensor([math.sin(a * i + b) + 0.3 * math.cos(0.7 * a * i * i + b) for i in range(n)],
                        dtype=torch.float32).reshape(shape)


logits = (2 * ramp([B, T, V], 0.37, 0.1)).requires_grad_(True)
target = torch.tensor([[4, 0, 2], [5, 2, PAD]])
lprobs = torch.log_softmax(logits, dim=-1).reshape(-1, V)
tgt = target.reshape(-1)
nll = -lprobs.gather(1, tgt[:, None]).squeeze(1)
smooth = -lprobs.sum(-1)
keep = tgt != PAD
eps_i = EPS / (V - 1)
loss = ((1 - EPS - eps_i) * nll + eps_i * smooth)[keep].sum()
loss.backward()
json.dump({"generator": "nmt/testdata/loss_golden.py", "torch": torch.__version__,
           "shape": [B, T, V], "pad": PAD, "epsilon": EPS,
           "logits": [float(v) for v in logits.detach().reshape(-1)],
           "target": target.reshape(-1).tolist(),
           "loss": float(loss), "nll": float(nll[keep].sum()),
           "grad": [float(v) for v in logits.grad.reshape(-1)]}, sys.stdout, indent=1)
sys.stdout.write("\n")
