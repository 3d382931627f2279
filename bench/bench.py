#!/usr/bin/python3
"""PyTorch eager side of `zoo bench` (see bench/doc.go for the protocol).

    cd /tmp && /usr/bin/python3 /path/to/zoo/bench/bench.py --serve

reads one JSON request a line on stdin and answers one JSON line on stdout:
setup (a ModelDesc from zoo and the folder of zoo's export: weights and
batches by name), train, infer, check, stats, gemm, quit. Run it from
outside the zoo checkout: from its root, `import torch` finds zoo's Go
torch/ folder. `zoo bench --compare-pytorch` starts it with the same
thread settings as zoo (torch.set_num_threads, OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS) and the same environment.

The training step is the one zoo's trainers take:
  translation: zero the gradients, forward with dropout, fairseq's
    label-smoothed cross entropy summed over non-pad target tokens
    (F.cross_entropy with label_smoothing = eps*V/(V-1), reduction sum),
    backward, gradients divided by the token count, the gradient norm,
    torch.optim.Adam (betas 0.9/0.98, eps 1e-9, no weight decay);
  classification: zero the gradients, forward in training mode, mean cross
    entropy, backward, the gradient norm, torch.optim.SGD (momentum 0.9,
    weight decay 1e-4), the top-1 count.
torch.optim's Adam and SGD are the same update as zoo's train.Adam and
train.SGD (zoo's optimizer tests check them against torch.optim).
"""
import ctypes
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


def log(*args):
    print("bench.py:", *args, file=sys.stderr, flush=True)


def rss():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss_kb" if key == "VmRSS" else "hwm_kb"] = int(rest.split()[0])
    return out


def blas_threads():
    try:
        return int(ctypes.CDLL("libblas.so.3").openblas_get_num_threads())
    except (OSError, AttributeError):
        return -1


# ---------------------------------------------------------------- export

DTYPES = {"float32": (torch.float32, np.float32), "int64": (torch.int64, np.int64)}


def read_export(folder):
    """The export's index and a reader that fills a tensor from an entry."""
    with open(os.path.join(folder, "tensors.json")) as f:
        index = json.load(f)
    if index.get("format") != "zoo-bench-tensors/1":
        raise ValueError("%s: format %r" % (folder, index.get("format")))
    data = open(os.path.join(folder, "tensors.bin"), "rb")

    def fill(entry, dst=None):
        tdtype, ndtype = DTYPES[entry["dtype"]]
        if dst is None:
            dst = torch.empty(entry["shape"], dtype=tdtype)
        if list(dst.shape) != entry["shape"] or dst.dtype != tdtype:
            raise ValueError("%s: zoo has %s %s, PyTorch %s %s" % (entry["name"], entry["dtype"], entry["shape"],
                                                                   dst.dtype, list(dst.shape)))
        # Read straight into the tensor's storage (little-endian, as x86).
        view = dst.detach().numpy().view(np.uint8).reshape(-1)
        data.seek(entry["offset"])
        if data.readinto(memoryview(view)) != entry["nbytes"]:
            raise ValueError("%s: short read" % entry["name"])
        return dst

    return index["tensors"], fill, data


# ---------------------------------------------------------------- the case

class Case:
    def __init__(self, spec, desc, folder):
        self.spec, self.desc = spec, desc
        self.kind = desc["kind"]
        torch.manual_seed(spec["seed"])
        res, params = desc["residual"], desc["residual_params"] or {}
        if self.kind == "translation":
            self.model = models.transformer(desc["nmt"], res, params)
        else:
            self.model = models.resnet(desc["vision"], res, params)
        self.load(folder)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        o = desc["optim"]
        if o["name"] == "adam":
            self.opt = torch.optim.Adam(self.params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                                        weight_decay=o["weight_decay"])
            if o["weight_decay"]:
                raise ValueError("zoo's Adam decays weights decoupled; the reference supports weight_decay 0 only")
        else:
            self.opt = torch.optim.SGD(self.params, lr=o["lr"], momentum=o["momentum"],
                                       weight_decay=o["weight_decay"], nesterov=o.get("nesterov", False))
        self.nparams = sum(p.numel() for p in self.params)

    def load(self, folder):
        entries, fill, f = read_export(folder)
        state = {k: v for k, v in self.model.state_dict().items() if not k.endswith("num_batches_tracked")}
        zoo = {e["name"] for e in entries if ":" not in e["name"]}
        if zoo != set(state):
            missing, extra = sorted(set(state) - zoo), sorted(zoo - set(state))
            raise ValueError("variable names differ: PyTorch has %s that zoo lacks, zoo has %s that PyTorch lacks"
                             % (missing[:8], extra[:8]))
        batch = {}
        with torch.no_grad():
            for e in entries:
                if ":" in e["name"]:
                    batch[e["name"]] = fill(e)
                else:
                    fill(e, state[e["name"]])
        f.close()
        if self.kind == "translation":
            self.src, self.prev, self.target = batch["batch:src"], batch["batch:prev"], batch["batch:target"]
            self.infer_src = batch["infer:src"]
            self.tokens = int(self.target.ne(self.desc["nmt"]["padding_idx"]).sum())
            v = self.desc["nmt"]["tgt_vocab"]
            eps = self.desc["label_smoothing"]
            self.alpha = eps * v / (v - 1) if eps > 0 and v > 1 else 0.0
        else:
            self.x, self.y, self.infer_x = batch["batch:x"], batch["batch:y"], batch["infer:x"]

    # ------------------------------------------------------------ steps

    def loss_sum(self):
        logits = self.model(self.src, self.prev)
        v = logits.shape[-1]
        return F.cross_entropy(logits.view(-1, v), self.target.view(-1), ignore_index=self.desc["nmt"]["padding_idx"],
                               reduction="sum", label_smoothing=self.alpha)

    def grad_norm(self):
        norms = [torch.norm(p.grad) for p in self.params if p.grad is not None]
        return float(torch.norm(torch.stack(norms)))

    def step(self):
        m = self.model
        m.train()
        self.opt.zero_grad()
        if self.kind == "translation":
            loss = self.loss_sum()
            loss.backward()
            value = loss.item() / self.tokens
            for p in self.params:
                if p.grad is not None:
                    p.grad.mul_(1.0 / self.tokens)
        else:
            logits = m(self.x)
            loss = F.cross_entropy(logits, self.y)
            loss.backward()
            value = loss.item()
        norm = self.grad_norm()
        if norm != norm or norm in (float("inf"), float("-inf")):
            raise ValueError("gradient norm is %r: diverged" % norm)
        self.opt.step()
        if self.kind != "translation":
            int(logits.detach().topk(1, 1)[1].eq(self.y.unsqueeze(1)).sum())
        return value

    def train(self, steps):
        secs, items, loss = [], [], 0.0
        n = self.tokens if self.kind == "translation" else self.x.shape[0]
        for _ in range(steps):
            t0 = time.perf_counter()
            loss = self.step()
            secs.append(time.perf_counter() - t0)
            items.append(float(n))
        return {"seconds": secs, "items": items, "loss": loss}

    def infer(self, hyps):
        m = self.model
        m.eval()
        out = {}
        t0 = time.perf_counter()
        if self.kind == "translation":
            g = self.desc["generate"]
            result = m.generate(self.infer_src, g["beam"], g["lenpen"], g["max_len_a"], g["max_len_b"], g["min_len"])
            secs = time.perf_counter() - t0
            if hyps:
                out["hyps"] = [h[0][0] if h else None for h in result]
            n = self.infer_src.shape[0]
        else:
            with torch.no_grad():
                m(self.infer_x)
            secs = time.perf_counter() - t0
            n = self.infer_x.shape[0]
        m.train()
        out.update({"seconds": [secs], "items": [float(n)]})
        return out

    def check(self):
        """As zoo's check: no dropout (a Transformer in eval mode; a ResNet in
        training mode, with batch statistics), one update, the loss again."""
        m = self.model
        translation = self.kind == "translation"
        m.train(not translation)

        def loss():
            if translation:
                return self.loss_sum() / self.tokens
            return F.cross_entropy(m(self.x), self.y)

        self.opt.zero_grad()
        l0 = loss()
        l0.backward()
        norm = self.grad_norm()
        self.opt.step()
        with torch.no_grad():
            l1 = loss()
        m.train()
        return {"check": {"params": self.nparams, "loss": l0.item(), "grad_norm": norm, "loss_after_step": l1.item()}}


def gemm(n, reps):
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        rates.append(2 * n ** 3 / (time.perf_counter() - t0) / 1e9)
    return float(np.median(rates))


# ---------------------------------------------------------------- protocol

def serve(inp, out):
    case = None
    for line in inp:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            resp = {"ok": False, "error": "request %r: %s" % (line[:200], e)}
            out.write(json.dumps(resp) + "\n")
            out.flush()
            continue
        cmd = req.get("cmd")
        try:
            if cmd == "quit":
                resp = {}
            elif cmd == "setup":
                if case is not None:
                    raise ValueError("setup twice: one case per child")
                spec = req["spec"]
                threads = int(spec.get("threads") or 0)
                if threads > 0:
                    torch.set_num_threads(threads)
                case = Case(spec, req["model"], req["dir"])
                resp = {"params": case.nparams, "info": {
                    "impl": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
                    "blas_threads": blas_threads(), "python": sys.version.split()[0]}}
            elif cmd == "gemm":
                resp = {"gflops": gemm(int(req["n"]), int(req["reps"]))}
            elif cmd == "stats":
                resp = {"rss": rss()}
            elif case is None:
                raise ValueError("%s before setup" % cmd)
            elif cmd == "train":
                resp = case.train(max(int(req.get("steps") or 1), 1))
            elif cmd == "infer":
                resp = case.infer(bool(req.get("hyps")))
            elif cmd == "check":
                resp = case.check()
            else:
                raise ValueError("unknown command %r" % cmd)
            resp["ok"] = True
        except Exception as e:  # noqa: BLE001 - every failure goes back to the parent
            import traceback
            traceback.print_exc(file=sys.stderr)
            resp = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(resp) + "\n")
        out.flush()
        if cmd == "quit":
            return


def main():
    if sys.argv[1:] != ["--serve"]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = sys.stdout
    sys.stdout = sys.stderr  # anything printed by accident stays off the protocol
    serve(sys.stdin, out)


if __name__ == "__main__":
    main()
