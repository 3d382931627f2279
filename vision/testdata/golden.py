#!/usr/bin/python3
"""Golden values for zoo's CIFAR ResNets (package vision), computed by PyTorch.

Run with Debian's python3-torch 1.13 (the same libtorch build zoo links),
from outside the repository (inside it, `import torch` finds zoo's Go
torch/ folder as a namespace package):

    cd /tmp && /usr/bin/python3 /work/main/vision/testdata/golden.py \
        | gzip -9n > /work/main/vision/testdata/golden.json.gz

(compressed: the 56 cases' gradients make 1.2 MB of JSON).

The networks are written here from the papers, independently of the Go
code, as ordinary torch.nn modules whose state-dict names are the Go
variable names:

  resnet    (He et al., CVPR 2016, CIFAR section): conv3x3-BN-ReLU stem,
            3 stages of basic blocks F(x) = BN(conv(ReLU(BN(conv(x))))),
            y = ReLU(join(x, F)), global average pool, fc.
  preresnet (He et al., ECCV 2016, "Identity mappings"): conv3x3 stem,
            F(x) = conv(ReLU(BN(conv(ReLU(BN(x)))))) (bottleneck: three
            BN-ReLU-conv, 1x1 / 3x3 with the stride / 1x1 x4), y = join(x, F),
            then BN-ReLU, pool, fc.

join is the residual variant (Liu et al., COLING 2020), with the block's
shortcut S where the formula has x:
  plain     S(x) + F(x)
  scaled    lam*S(x) + F(x)
  scaled-ln LN(lam*S(x) + F(x))
  post-ln   LN(S(x) + F(x))
  pre-ln    S(LN(x)) + F(LN(x)), LN over the input's channels; the net gets
            a final BN before pooling (preresnet has one anyway)
  rskip-ln  f1 = LN1(S(x) + F(x)), fk = LNk(S(x) + f(k-1)), y = f_order
LN on images is GroupNorm with one group ("layer") or BatchNorm2d ("batch").

S is the identity where the shape is kept; where it changes, option A
subsamples by the stride and appends zero channels (no parameters), option
B is conv1x1(stride) followed by BN (shortcut.0, shortcut.1).

Every variable (parameters and BN running statistics) is set by name to a
deterministic ramp: the k-th name in sorted order gets
offset + scale * ramp(numel, a_k, b_k), with the four numbers recorded in
"init" so that the Go test sets the same float32 values. Each case records,
for train mode (batch statistics) and eval mode (running statistics), the
logits for a fixed 2x3x8x8 input, the gradients of L = sum(R * logits)
with respect to the input and a few named parameters, and in train mode
every BN running statistic after the forward pass. "param_counts" holds
the trainable parameter counts of the presets, built here the same way.
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as Fn

torch.set_default_dtype(torch.float32)
EPS = 1e-5
CLASSES = 5
X_SHAPE = [2, 3, 8, 8]


def ramp_values(n, a, b):
    """Deterministic, irregular values in about [-1.3, 1.3]; no RNG to replicate."""
    return [math.sin(a * i + b) + 0.3 * math.cos(0.7 * a * i * i + b) for i in range(n)]


def ramp(shape, a, b):
    return torch.tensor(ramp_values(math.prod(shape), a, b), dtype=torch.float32).reshape(shape)


# ---------------------------------------------------------------- variants

def make_norm(kind, channels):
    if kind == "layer":
        return nn.GroupNorm(1, channels, eps=EPS)
    if kind == "batch":
        return nn.BatchNorm2d(channels, eps=EPS, momentum=0.1)
    raise ValueError(kind)


class Join(nn.Module):
    """One residual join; forward(x, F, S) with S None for the identity."""

    def __init__(self, name, args, out_ch, in_ch):
        super().__init__()
        self.name = name
        self.lam = float(args.get("lambda", 1.0))
        kind = args.get("norm", "layer")
        if name in ("scaled-ln", "post-ln"):
            self.norm = make_norm(kind, out_ch)
        elif name == "pre-ln":
            self.norm = make_norm(kind, in_ch)
        elif name == "rskip-ln":
            self.norms = nn.ModuleList([make_norm(kind, out_ch) for _ in range(int(args.get("order", 2)))])
        elif name not in ("plain", "scaled"):
            raise ValueError(name)

    def forward(self, x, f, s):
        skip = (lambda t: t) if s is None else s
        if self.name == "plain":
            return skip(x) + f(x)
        if self.name == "scaled":
            return self.lam * skip(x) + f(x)
        if self.name == "scaled-ln":
            return self.norm(self.lam * skip(x) + f(x))
        if self.name == "post-ln":
            return self.norm(skip(x) + f(x))
        if self.name == "pre-ln":
            # x + F(LN(x)); a shortcut shares the pre-activation LN(x).
            n = self.norm(x)
            return (x if s is None else s(n)) + f(n)
        sx = skip(x)
        y = self.norms[0](sx + f(x))
        for norm in self.norms[1:]:
            y = norm(sx + y)
        return y

    def final_norm(self):
        return self.name == "pre-ln"


# ---------------------------------------------------------------- blocks

def conv(i, o, k, stride):
    return nn.Conv2d(i, o, k, stride=stride, padding=k // 2, bias=False)


class ZeroPadShortcut(nn.Module):
    """Option A: x[:, :, ::s, ::s] followed by out-in zero channels."""

    def __init__(self, stride, in_ch, out_ch):
        super().__init__()
        self.stride, self.extra = stride, out_ch - in_ch

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        zeros = torch.zeros(x.shape[0], self.extra, x.shape[2], x.shape[3], dtype=x.dtype)
        return torch.cat([x, zeros], dim=1)


def make_shortcut(kind, in_ch, out_ch, stride):
    if stride == 1 and in_ch == out_ch:
        return None
    if kind == "A":
        return ZeroPadShortcut(stride, in_ch, out_ch)
    return nn.Sequential(conv(in_ch, out_ch, 1, stride), nn.BatchNorm2d(out_ch, eps=EPS, momentum=0.1))


class Block(nn.Module):
    def __init__(self, arch, block, in_ch, planes, stride, shortcut, variant, args):
        super().__init__()
        self.arch, self.block = arch, block
        out_ch = planes * (4 if block == "bottleneck" else 1)
        if arch == "resnet":
            self.conv1 = conv(in_ch, planes, 3, stride)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = conv(planes, planes, 3, 1)
            self.bn2 = nn.BatchNorm2d(planes)
        elif block == "basic":
            self.bn1 = nn.BatchNorm2d(in_ch)
            self.conv1 = conv(in_ch, planes, 3, stride)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv2 = conv(planes, planes, 3, 1)
        else:
            self.bn1 = nn.BatchNorm2d(in_ch)
            self.conv1 = conv(in_ch, planes, 1, 1)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv2 = conv(planes, planes, 3, stride)
            self.bn3 = nn.BatchNorm2d(planes)
            self.conv3 = conv(planes, out_ch, 1, 1)
        self.shortcut = make_shortcut(shortcut, in_ch, out_ch, stride)
        self.residual = Join(variant, args, out_ch, in_ch)
        self.out_ch = out_ch

    def branch(self, x):
        if self.arch == "resnet":
            return self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        h = self.conv1(torch.relu(self.bn1(x)))
        h = self.conv2(torch.relu(self.bn2(h)))
        if self.block == "bottleneck":
            h = self.conv3(torch.relu(self.bn3(h)))
        return h

    def forward(self, x):
        y = self.residual(x, self.branch, self.shortcut)
        return torch.relu(y) if self.arch == "resnet" else y


class Net(nn.Module):
    def __init__(self, arch, depth, block, width, shortcut, variant, args, in_ch=3, classes=CLASSES):
        super().__init__()
        per = 9 if block == "bottleneck" else 6
        assert (depth - 2) % per == 0
        n = (depth - 2) // per
        self.arch = arch
        self.conv1 = conv(in_ch, width, 3, 1)
        if arch == "resnet":
            self.bn1 = nn.BatchNorm2d(width)
        ch = width
        for s, (mult, stride) in enumerate([(1, 1), (2, 2), (4, 2)]):
            blocks = []
            for i in range(n):
                b = Block(arch, block, ch, width * mult, stride if i == 0 else 1, shortcut, variant, args)
                ch = b.out_ch
                blocks.append(b)
            setattr(self, f"layer{s + 1}", nn.Sequential(*blocks))
        self.final = arch == "preresnet" or blocks[-1].residual.final_norm()
        if self.final:
            self.bn = nn.BatchNorm2d(ch)
        self.fc = nn.Linear(ch, classes)

    def forward(self, x):
        h = self.conv1(x)
        if self.arch == "resnet":
            h = torch.relu(self.bn1(h))
        h = self.layer3(self.layer2(self.layer1(h)))
        if self.final:
            h = self.bn(h)
            if self.arch == "preresnet":
                h = torch.relu(h)
        h = Fn.adaptive_avg_pool2d(h, 1).flatten(1)
        return self.fc(h)


# ---------------------------------------------------------------- cases

def variables(net):
    return {k: v for k, v in net.state_dict(keep_vars=True).items() if not k.endswith("num_batches_tracked")}


def init_spec(name, t, k):
    """Role-dependent scale and offset of the k-th variable's ramp."""
    leaf = name.rsplit(".", 1)[1]
    if t.dim() >= 2:
        scale, offset = 1.0 / math.sqrt(t[0].numel()), 0.0  # conv and fc weights: 1/sqrt(fan_in)
    elif leaf in ("weight", "running_var"):
        scale, offset = 0.2, 1.0
    else:  # bias, running_mean
        scale, offset = 0.1, 0.0
    return {"shape": list(t.shape), "a": 0.31 + 0.017 * k, "b": 0.05 * k, "scale": scale, "offset": offset}


def set_variables(net):
    spec = {}
    with torch.no_grad():
        for k, (name, t) in enumerate(sorted(variables(net).items())):
            s = init_spec(name, t, k)
            vals = [s["offset"] + s["scale"] * v for v in ramp_values(t.numel(), s["a"], s["b"])]
            t.copy_(torch.tensor(vals, dtype=torch.float32).reshape(t.shape))
            s["sum"] = float(t.double().sum())
            spec[name] = s
    return spec


def flat(t, digits=9):
    return [float("%.*g" % (digits, v)) for v in t.detach().reshape(-1).tolist()]


def flat_out(t):
    """Results to 7 significant digits (float32 holds about 7; the Go
    test allows 1e-4 relative), which keeps the file small."""
    return flat(t, 7)


def grad_names(net):
    """The parameters whose gradients are recorded."""
    last_bn = "bn3" if hasattr(net.layer3[0], "bn3") else "bn2"
    names = ["conv1.weight", "fc.weight", "fc.bias", "layer2.0.conv1.weight",
             f"layer3.0.{last_bn}.weight", f"layer3.0.{last_bn}.bias"]
    for name, p in net.named_parameters():
        if name.startswith(("layer2.0.shortcut.", "layer2.0.residual.", "layer3.0.residual.", "bn.", "bn1.")):
            names.append(name)
    return sorted(set(names))


def run_case(net_spec, variant, args, mode):
    torch.manual_seed(0)
    net = Net(net_spec["arch"], net_spec["depth"], net_spec["block"], net_spec["width"],
              net_spec["shortcut"], variant, args)
    init = set_variables(net)
    net.train(mode == "train")
    x = ramp(X_SHAPE, 0.37, 0.1).requires_grad_(True)
    r = ramp([X_SHAPE[0], CLASSES], 0.71, 0.9)
    logits = net(x)
    (r * logits).sum().backward()
    params = dict(net.named_parameters())
    out = {
        **net_spec, "variant": variant, "params": args, "mode": mode,
        "init": init,
        "logits": flat_out(logits), "grad_x": flat_out(x.grad),
        "grad_variables": {n: flat_out(params[n].grad) for n in grad_names(net)},
    }
    if mode == "train":
        out["variables_after"] = {n: flat_out(t) for n, t in variables(net).items() if "running_" in n}
    return out


NETS = {
    "resnet8-A": {"arch": "resnet", "depth": 8, "block": "basic", "width": 4, "shortcut": "A"},
    "resnet8-B": {"arch": "resnet", "depth": 8, "block": "basic", "width": 4, "shortcut": "B"},
    "preresnet8-B": {"arch": "preresnet", "depth": 8, "block": "basic", "width": 4, "shortcut": "B"},
    "preresnet8-A": {"arch": "preresnet", "depth": 8, "block": "basic", "width": 4, "shortcut": "A"},
    "preresnet11-bottleneck-B": {"arch": "preresnet", "depth": 11, "block": "bottleneck", "width": 4, "shortcut": "B"},
    "preresnet11-bottleneck-A": {"arch": "preresnet", "depth": 11, "block": "bottleneck", "width": 4, "shortcut": "A"},
}

ALL_SIX = [("plain", {}), ("scaled", {"lambda": 0.5}), ("scaled-ln", {"lambda": 2.0}),
           ("post-ln", {}), ("pre-ln", {}), ("rskip-ln", {"order": 2})]

CASES = (
    [("resnet8-A", v, a) for v, a in ALL_SIX]
    + [("resnet8-B", v, a) for v, a in ALL_SIX]
    + [("resnet8-B", "post-ln", {"norm": "batch"})]
    + [("preresnet8-B", v, a) for v, a in ALL_SIX]
    + [("preresnet8-B", "pre-ln", {"norm": "batch"})]
    + [("preresnet8-A", "plain", {}), ("preresnet8-A", "pre-ln", {})]
    + [("preresnet11-bottleneck-B", v, a) for v, a in
       [("plain", {}), ("scaled", {"lambda": 0.5}), ("pre-ln", {}), ("rskip-ln", {"order": 2})]]
    + [("preresnet11-bottleneck-A", "plain", {}), ("preresnet11-bottleneck-A", "rskip-ln", {"order": 2})]
)

PRESETS = {
    "resnet20": ("resnet", 20, "basic"), "resnet32": ("resnet", 32, "basic"),
    "resnet44": ("resnet", 44, "basic"), "resnet56": ("resnet", 56, "basic"),
    "resnet110": ("resnet", 110, "basic"),
    "preresnet110": ("preresnet", 110, "basic"), "preresnet164": ("preresnet", 164, "bottleneck"),
}

COUNTS = (
    [(p, s, "plain", {}) for p in PRESETS for s in ("A", "B")]
    + [("resnet20", "A", v, a) for v, a in ALL_SIX[1:]]
    + [("resnet20", "A", "rskip-ln", {"order": 3}), ("preresnet164", "B", "pre-ln", {}),
       ("preresnet164", "B", "rskip-ln", {"order": 2})]
)


def count(preset, shortcut, variant, args):
    arch, depth, block = PRESETS[preset]
    net = Net(arch, depth, block, 16, shortcut, variant, args, in_ch=3, classes=10)
    return sum(p.numel() for p in net.parameters())


def main():
    cases = []
    for net_name, variant, args in CASES:
        for mode in ("train", "eval"):
            c = run_case(NETS[net_name], variant, args, mode)
            c["net"] = net_name
            cases.append(c)
    counts = [{"preset": p, "shortcut": s, "residual": v, "params": a, "in_channels": 3, "classes": 10,
               "count": count(p, s, v, a)} for p, s, v, a in COUNTS]
    out = {"generator": "vision/testdata/golden.py", "torch": torch.__version__,
           "x": flat(ramp(X_SHAPE, 0.37, 0.1)), "x_shape": X_SHAPE,
           "r": flat(ramp([X_SHAPE[0], CLASSES], 0.71, 0.9)), "classes": CLASSES,
           "cases": cases, "param_counts": counts}
    # One case per line: small diffs when a case changes.
    compact = lambda v: json.dumps(v, separators=(",", ":"))
    head = ",\n".join(f"{json.dumps(k)}:{compact(v)}" for k, v in out.items() if k not in ("cases", "param_counts"))
    sys.stdout.write("{" + head + ',\n"param_counts":[\n' + ",\n".join(compact(c) for c in counts) + "\n],\n")
    sys.stdout.write('"cases":[\n' + ",\n".join(compact(c) for c in cases) + "\n]}\n")


if __name__ == "__main__":
    main()
