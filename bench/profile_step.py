"""Profile the PyTorch reference's training step op by op (torch.profiler),
to see where a step's time goes on the same libtorch zoo links.

    python3 bench/profile_step.py small        # or base, resnet20, preresnet110
    python3 bench/profile_step.py small --threads 2 --steps 2 --rows 30

The models are bench/models.py's, with PyTorch's default initialization
(weights do not change the time of a step), on a generated batch of the
benchmark's sizes: 128 sentence pairs of 24-32 tokens (10k or 32k
vocabulary), or 128 images 3x32x32. The step is bench.py's: zero the
gradients, forward with dropout, the summed label-smoothed loss (mean
cross entropy for images), backward, Adam or SGD. Run it with zoo's
environment for figures comparable with `zoo bench` (cmd/zoo/env.go):
MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736
OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

TRANSFORMERS = {
    "small": dict(d_model=256, heads=4, ffn_dim=1024, encoder_layers=3, decoder_layers=3, vocab=10000),
    "base": dict(d_model=512, heads=8, ffn_dim=2048, encoder_layers=6, decoder_layers=6, vocab=32768),
}
RESNETS = {"resnet20": ("resnet", 20, "A"), "preresnet110": ("preresnet", 110, "B")}


def translation_step(name):
    p = dict(TRANSFORMERS[name])
    v = p.pop("vocab")
    c = dict(p, src_vocab=v, tgt_vocab=v, dropout=0.1, attention_dropout=0.0, activation_dropout=0.0,
             activation="relu", share_all_embeddings=True, share_decoder_input_output_embed=True,
             max_positions=1024, padding_idx=1, eos_idx=2)
    m = models.transformer(c, "post-ln", {})
    g = torch.Generator().manual_seed(1)
    lens = torch.randint(24, 33, (128,), generator=g)
    src = torch.randint(4, v, (128, 32), generator=g)
    prev = torch.randint(4, v, (128, 32), generator=g)
    for i, n in enumerate(lens.tolist()):
        src[i, n:] = 1
        prev[i, n:] = 1
    target = prev.clone()
    opt = torch.optim.Adam(m.parameters(), lr=5e-4, betas=(0.9, 0.98), eps=1e-9)
    alpha = 0.1 * v / (v - 1)

    def step():
        opt.zero_grad()
        logits = m(src, prev)
        loss = F.cross_entropy(logits.view(-1, v), target.view(-1), ignore_index=1, reduction="sum",
                               label_smoothing=alpha)
        loss.backward()
        opt.step()
    return m, step


def classification_step(name):
    arch, depth, shortcut = RESNETS[name]
    golden = models.extend_golden(models.load_golden())
    m = golden.Net(arch, depth, "basic", 16, shortcut, "plain", {}, in_ch=3, classes=10)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(128, 3, 32, 32, generator=g), torch.randint(0, 10, (128,), generator=g)
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)

    def step():
        opt.zero_grad()
        F.cross_entropy(m(x), y).backward()
        opt.step()
    return m, step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=sorted(TRANSFORMERS) + sorted(RESNETS))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=2, help="profiled steps (after 2 untimed ones)")
    ap.add_argument("--rows", type=int, default=30, help="ops listed")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    m, step = (translation_step if a.model in TRANSFORMERS else classification_step)(a.model)
    m.train()
    for _ in range(2):
        step()
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(a.steps):
            step()
    secs = (time.perf_counter() - t0) / a.steps
    print("%s: %.3f s a step under the profiler, %d threads, %d steps" % (a.model, secs, a.threads, a.steps))
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=a.rows))


if __name__ == "__main__":
    main()
