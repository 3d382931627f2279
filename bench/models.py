"""PyTorch eager reference models for `zoo bench`: the same networks as zoo's
nmt and vision packages, with the same state-dict names, written here for
zoo from the papers and zoo's Go code (its conventions and the order of its
ops, so that both compute the same function), as ordinary PyTorch eager
code; nothing is copied from elsewhere.

Transformer (Vaswani et al. 2017, fairseq's transformer_wmt_en_de family):
  - token embeddings scaled by sqrt(d_model) plus fairseq's sinusoidal
    positions (the halves [sin, cos] concatenated; positions count from
    padding_idx + 1 over non-pad tokens; the padding row zero), dropout;
  - encoder layers: self-attention, feed-forward; decoder layers: causal
    self-attention, attention over the encoder output, feed-forward; every
    sublayer F is dropout(sublayer(x)) joined to x by the residual variant;
  - attention with PyTorch's packed in_proj_weight / in_proj_bias (q, k, v
    rows in that order), queries scaled by head_dim^-0.5, out_proj;
  - a final LayerNorm per stack when the variant leaves the output
    un-normalized (pre-ln), and an output projection without bias, tied to
    the shared embedding under share_all_embeddings.
  Names: encoder.embed_tokens.weight, encoder.layers.N.self_attn.*,
  encoder.layers.N.self_attn_residual.*, encoder.layers.N.fc1.*, .fc2.*,
  encoder.layers.N.ffn_residual.*, decoder.layers.N.encoder_attn(_residual).*,
  encoder.layer_norm.*, decoder.layer_norm.*, decoder.embed_tokens.weight
  (unshared), decoder.output_projection.weight (untied).

Residual variants (Liu et al., COLING 2020), x the block input:
  plain      x + F(x)                 scaled     lambda*x + F(x)
  scaled-ln  LN(lambda*x + F(x))      post-ln    LN(x + F(x))
  pre-ln     x + F(LN(x))             rskip-ln   f1 = LN1(x + F(x)),
                                                 fk = LNk(x + f(k-1)), y = f_order
  with their norms under norm.* (norms.K.* for rskip-ln, or norm.* with
  shared_norm); norm=layer (and layer-channel, the same for sequences) or
  norm=batch (every position one example, running statistics as
  BatchNorm's).

The CIFAR ResNets are vision/testdata/golden.py's Net (He et al. 2016 and
2016b), imported from there, with rskip-ln's shared_norm and
norm=layer-channel added (extend_golden).

Beam search (Transformer.generate) is fairseq's SequenceGenerator as zoo's
nmt.Model.Generate documents it: 2*beam candidates per step, EOS among the
best beam finishes a hypothesis, a sentence stops at beam finished ones,
finished sentences leave the batch, at the length cap every live beam gets
EOS, scores normalized by length^lenpen; step 0 runs one row per sentence;
incremental decoding with cached self-attention keys and values and the
encoder's keys and values projected once per sentence and shared by its
beams.
"""
import importlib.util
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

_HERE = os.path.dirname(os.path.abspath(__file__))


def load_golden():
    """vision/testdata/golden.py as a module (its Net is the ResNet)."""
    path = os.environ.get("ZOO_VISION_GOLDEN") or os.path.join(_HERE, "..", "vision", "testdata", "golden.py")
    spec = importlib.util.spec_from_file_location("zoo_vision_golden", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class ChannelNorm(nn.Module):
    """Layer norm over the channels at each position of [B, C, H, W]
    (zoo's norm=layer-channel for images)."""

    def __init__(self, channels, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        y = F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2)


def extend_golden(golden):
    """golden.py's Join with what zoo's variants have beyond it:
    rskip-ln's shared_norm (one norm, "norm", for every step) and
    norm=layer-channel. Only this loaded copy of the module changes."""
    base_norm, base_join = golden.make_norm, golden.Join

    def make_norm(kind, channels):
        if kind == "layer-channel":
            return ChannelNorm(channels, golden.EPS)
        return base_norm(kind, channels)

    class Join(base_join):
        def __init__(self, name, args, out_ch, in_ch):
            if name == "rskip-ln" and args.get("shared_norm"):
                nn.Module.__init__(self)
                self.name, self.lam = name, 1.0
                self.norm = make_norm(args.get("norm", "layer"), out_ch)
                self.norms = [self.norm] * int(args.get("order", 2))  # a plain list: stored once, as "norm"
                return
            super().__init__(name, args, out_ch, in_ch)

    golden.make_norm, golden.Join = make_norm, Join
    return golden


def resnet(desc, residual, params):
    """The ResNet of a ModelDesc's "vision" part: golden.py's Net."""
    golden = extend_golden(load_golden())
    if float(params.get("eps", golden.EPS)) != golden.EPS:
        raise ValueError("the PyTorch ResNet's norms have eps %g" % golden.EPS)
    if desc.get("zero_init_last_bn"):
        raise ValueError("zero_init_last_bn: weights come from zoo; set it there")
    return golden.Net(desc["arch"], desc["depth"], desc["block"], desc["width"], desc["shortcut"],
                      residual, params, in_ch=desc["in_channels"], classes=desc["classes"])


# ---------------------------------------------------------------- residuals

class SeqBatchNorm(nn.BatchNorm1d):
    """Batch norm of [..., C] features, every position one example (zoo's
    norm=batch for sequences)."""

    def forward(self, x):
        return super().forward(x.reshape(-1, x.shape[-1])).reshape(x.shape)


class Residual(nn.Module):
    """One residual join; forward(x, f) with f the sublayer (dropout included)."""

    def __init__(self, name, params, dim):
        super().__init__()
        self.name = name
        self.lam = float(params.get("lambda", 1.0))
        kind = params.get("norm", "layer")
        eps = float(params.get("eps", 1e-5))
        if kind not in ("layer", "layer-channel", "batch"):
            raise ValueError("unknown norm %r" % kind)

        def make():
            if kind == "batch":
                return SeqBatchNorm(dim, eps=eps, momentum=0.1)
            return nn.LayerNorm(dim, eps=eps)  # layer-channel is the same for sequences

        if name in ("scaled-ln", "post-ln", "pre-ln"):
            self.norm = make()
        elif name == "rskip-ln":
            order = int(params.get("order", 2))
            if params.get("shared_norm"):
                self.norm = make()
                self.steps = [self.norm] * order
            else:
                self.norms = nn.ModuleList([make() for _ in range(order)])
                self.steps = list(self.norms)
        elif name not in ("plain", "scaled"):
            raise ValueError("unknown residual variant %r" % name)

    def final_norm(self):
        return self.name == "pre-ln"

    def forward(self, x, f):
        n = self.name
        if n == "plain":
            return x + f(x)
        if n == "scaled":
            return self.lam * x + f(x) if self.lam != 1 else x + f(x)
        if n == "scaled-ln":
            return self.norm((self.lam * x if self.lam != 1 else x) + f(x))
        if n == "post-ln":
            return self.norm(x + f(x))
        if n == "pre-ln":
            return x + f(self.norm(x))
        y = self.steps[0](x + f(x))
        for norm in self.steps[1:]:
            y = norm(x + y)
        return y


# ---------------------------------------------------------------- attention

class Attention(nn.Module):
    """Multi-head attention with a packed q, k, v projection; [B, H, T, d] inside."""

    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.dim, self.heads, self.head_dim = dim, heads, dim // heads
        self.scale = self.head_dim ** -0.5
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * dim))
        self.out_proj = nn.Linear(dim, dim)

    def split(self, packed, n):
        """[B, T, n*D] -> [n, B, H, T, d]."""
        b, t, _ = packed.shape
        return packed.view(b, t, n, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)

    def attend(self, q, k, v, mask):
        scores = torch.matmul(q, k.transpose(2, 3))
        if mask is not None:
            scores.masked_fill_(mask, float("-inf"))
        probs = F.dropout(torch.softmax(scores, dim=-1), self.dropout, self.training)
        ctx = torch.matmul(probs, v)
        b, _, t, _ = ctx.shape
        return self.out_proj(ctx.transpose(1, 2).reshape(b, t, self.dim))

    def self_attn(self, x, mask):
        qkv = self.split(F.linear(x, self.in_proj_weight, self.in_proj_bias), 3)
        return self.attend(qkv[0] * self.scale, qkv[1], qkv[2], mask)

    def self_step(self, x, past_k, past_v):
        """One decoding step: x [N, 1, D]; returns the output and k, v extended."""
        qkv = self.split(F.linear(x, self.in_proj_weight, self.in_proj_bias), 3)
        k = qkv[1].contiguous() if past_k is None else torch.cat([past_k, qkv[1]], 2)
        v = qkv[2].contiguous() if past_v is None else torch.cat([past_v, qkv[2]], 2)
        return self.attend(qkv[0] * self.scale, k, v, None), k, v

    def cross_kv(self, mem):
        d = self.dim
        kv = self.split(F.linear(mem, self.in_proj_weight[d:], self.in_proj_bias[d:]), 2)
        return kv[0].contiguous(), kv[1].contiguous()

    def cross(self, x, k, v, mask):
        d = self.dim
        q = self.split(F.linear(x, self.in_proj_weight[:d], self.in_proj_bias[:d]), 1)[0]
        return self.attend(q * self.scale, k, v, mask)


class FFNMixin:
    """fc2(act(fc1(x))) with activation dropout, fc1 and fc2 in the layer (fairseq's names)."""

    def make_ffn(self, c):
        d = c["d_model"]
        self.fc1, self.fc2 = nn.Linear(d, c["ffn_dim"]), nn.Linear(c["ffn_dim"], d)
        self.act = F.relu if c["activation"] == "relu" else F.gelu
        self.act_dropout = c["activation_dropout"]

    def ffn(self, x):
        return self.fc2(F.dropout(self.act(self.fc1(x)), self.act_dropout, self.training))

    def drop(self, t):
        return F.dropout(t, self.dropout, self.training)


# ---------------------------------------------------------------- layers

class EncoderLayer(nn.Module, FFNMixin):
    def __init__(self, c, res):
        super().__init__()
        d = c["d_model"]
        self.dropout = c["dropout"]
        self.self_attn = Attention(d, c["heads"], c["attention_dropout"])
        self.self_attn_residual = res(d)
        self.make_ffn(c)
        self.ffn_residual = res(d)

    def forward(self, x, mask):
        h = self.self_attn_residual(x, lambda z: self.drop(self.self_attn.self_attn(z, mask)))
        return self.ffn_residual(h, lambda z: self.drop(self.ffn(z)))


class DecoderLayer(nn.Module, FFNMixin):
    def __init__(self, c, res):
        super().__init__()
        d = c["d_model"]
        self.dropout = c["dropout"]
        self.self_attn = Attention(d, c["heads"], c["attention_dropout"])
        self.self_attn_residual = res(d)
        self.encoder_attn = Attention(d, c["heads"], c["attention_dropout"])
        self.encoder_attn_residual = res(d)
        self.make_ffn(c)
        self.ffn_residual = res(d)

    def forward(self, x, causal, k, v, src_mask):
        h = self.self_attn_residual(x, lambda z: self.drop(self.self_attn.self_attn(z, causal)))
        return self.cross_ffn(h, k, v, src_mask, 1)

    def cross_ffn(self, x, k, v, src_mask, group):
        d = self.encoder_attn.dim

        def cross(z):
            if group == 1:
                return self.encoder_attn.cross(z, k, v, src_mask)
            return self.encoder_attn.cross(z.view(-1, group, d), k, v, src_mask).view(-1, 1, d)

        h = self.encoder_attn_residual(x, lambda z: self.drop(cross(z)))
        return self.ffn_residual(h, lambda z: self.drop(self.ffn(z)))

    def step(self, x, cache, src_mask, group):
        new = {}

        def attn(z):
            out, new["k"], new["v"] = self.self_attn.self_step(z, cache["k"], cache["v"])
            return out

        h = self.self_attn_residual(x, attn)
        cache["k"], cache["v"] = new["k"], new["v"]
        return self.cross_ffn(h, cache["ck"], cache["cv"], src_mask, group)


def sinusoidal_table(rows, dim, pad):
    half = dim // 2
    freq = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000) / (half - 1)))
    angles = torch.arange(rows, dtype=torch.float32).unsqueeze(1) * freq.unsqueeze(0)
    parts = [torch.sin(angles), torch.cos(angles)]
    if dim % 2 == 1:
        parts.append(torch.zeros(rows, 1))
    table = torch.cat(parts, 1)
    table[pad] = 0
    return table


class Stack(nn.Module):
    """Holds a stack's variables under its fairseq prefix (encoder., decoder.)."""


class Transformer(nn.Module):
    def __init__(self, c, residual, params):
        super().__init__()
        self.c = c
        d, pad = c["d_model"], c["padding_idx"]
        self.pad, self.eos = pad, c["eos_idx"]
        self.share_all = c["share_all_embeddings"]
        self.tied = self.share_all or c["share_decoder_input_output_embed"]
        self.dropout = c["dropout"]
        self.scale = math.sqrt(d)
        self.register_buffer("table", sinusoidal_table(c["max_positions"] + pad + 1, d, pad), persistent=False)

        def res(dim):
            return Residual(residual, params, dim)

        self.encoder, self.decoder = Stack(), Stack()
        self.encoder.embed_tokens = nn.Embedding(c["src_vocab"], d, padding_idx=pad)
        self.encoder.layers = nn.ModuleList([EncoderLayer(c, res) for _ in range(c["encoder_layers"])])
        if not self.share_all:
            self.decoder.embed_tokens = nn.Embedding(c["tgt_vocab"], d, padding_idx=pad)
        self.decoder.layers = nn.ModuleList([DecoderLayer(c, res) for _ in range(c["decoder_layers"])])
        final = Residual(residual, params, d).final_norm()
        if final:
            self.encoder.layer_norm = nn.LayerNorm(d)
            self.decoder.layer_norm = nn.LayerNorm(d)
        if not self.tied:
            self.decoder.output_projection = nn.Linear(d, c["tgt_vocab"], bias=False)

    def dec_weight(self):
        return self.encoder.embed_tokens.weight if self.share_all else self.decoder.embed_tokens.weight

    def out_weight(self):
        return self.dec_weight() if self.tied else self.decoder.output_projection.weight

    def embed(self, weight, tokens):
        nonpad = tokens.ne(self.pad)
        positions = torch.cumsum(nonpad, dim=1, dtype=torch.int64) * nonpad + self.pad
        x = F.embedding(tokens, weight, padding_idx=self.pad) * self.scale + F.embedding(positions, self.table)
        return F.dropout(x, self.dropout, self.training)

    def encode(self, src):
        mask = src.eq(self.pad).view(src.shape[0], 1, 1, src.shape[1])
        x = self.embed(self.encoder.embed_tokens.weight, src)
        for layer in self.encoder.layers:
            x = layer(x, mask)
        if hasattr(self.encoder, "layer_norm"):
            x = self.encoder.layer_norm(x)
        return x, mask

    def head(self, x):
        if hasattr(self.decoder, "layer_norm"):
            x = self.decoder.layer_norm(x)
        return F.linear(x, self.out_weight())

    def forward(self, src, prev):
        enc, mask = self.encode(src)
        t = prev.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        x = self.embed(self.dec_weight(), prev)
        for layer in self.decoder.layers:
            k, v = layer.encoder_attn.cross_kv(enc)
            x = layer(x, causal, k, v, mask)
        return self.head(x)

    # ------------------------------------------------------------ decoding

    @torch.no_grad()
    def generate(self, src, beam, lenpen, max_len_a, max_len_b, min_len):
        """Beam search; returns, per sentence, its hypotheses best first as
        (tokens, score) with tokens ending in EOS."""
        max_len = min(int(max_len_a * src.shape[1]) + max_len_b, self.c["max_positions"] - 1)
        enc, mask = self.encode(src)
        state = DecoderState(self, enc, mask)
        return BeamSearch(self, state, beam, lenpen, max_len, min_len).run(src.shape[0])

    def decode_step(self, tokens, state):
        col = tokens.view(-1, 1)
        pos = self.table[self.pad + 1 + state.step].view(1, -1)
        x = F.embedding(col, self.dec_weight(), padding_idx=self.pad) * self.scale + pos
        for layer, cache in zip(self.decoder.layers, state.layers):
            x = layer.step(x, cache, state.src_mask, state.group)
        state.step += 1
        return self.head(x).view(-1, self.c["tgt_vocab"])


class DecoderState:
    """Per layer: self-attention k, v [N, H, t, d] and the encoder's k, v
    [N/group, H, S, d]; every group consecutive rows share one sentence."""

    def __init__(self, model, enc, mask):
        self.layers = []
        for layer in model.decoder.layers:
            ck, cv = layer.encoder_attn.cross_kv(enc)
            self.layers.append({"k": None, "v": None, "ck": ck, "cv": cv})
        self.src_mask, self.group, self.sents, self.step = mask, 1, mask.shape[0], 0

    def keep(self, rows, sents, group):
        idx = torch.tensor(rows, dtype=torch.int64)
        for c in self.layers:
            c["k"], c["v"] = c["k"].index_select(0, idx), c["v"].index_select(0, idx)
        self.group = group
        if sents == list(range(self.sents)):
            return
        sidx = torch.tensor(sents, dtype=torch.int64)
        for c in self.layers:
            c["ck"], c["cv"] = c["ck"].index_select(0, sidx), c["cv"].index_select(0, sidx)
        self.src_mask = self.src_mask.index_select(0, sidx)
        self.sents = len(sents)


class BeamSearch:
    def __init__(self, model, state, beam, lenpen, max_len, min_len):
        self.m, self.st = model, state
        self.beam, self.lenpen, self.max_len, self.min_len = beam, lenpen, max_len, min_len
        self.eos, self.pad, self.vocab = model.eos, model.pad, model.c["tgt_vocab"]

    def normalize(self, total, step):
        return total / math.pow(step + 1, self.lenpen)

    def finalize(self, final, b, score, step):
        if len(final) >= self.beam:
            return
        tokens, scores, total = b
        final.append((tokens + [self.eos], self.normalize(score, step)))

    def run(self, n):
        final = [[] for _ in range(n)]
        active = list(range(n))
        beams = [[([], [], 0.0)] for _ in range(n)]  # (tokens, positional scores, total)
        step = 0
        while active:
            width = len(beams[0])
            last = [b[0][-1] if b[0] else self.eos for bs in beams for b in bs]
            lp = torch.log_softmax(self.m.decode_step(torch.tensor(last, dtype=torch.int64), self.st), dim=-1)
            lp[:, self.pad] = float("-inf")
            if step < self.min_len:
                lp[:, self.eos] = float("-inf")
            if step == self.max_len:
                eos = lp[:, self.eos].tolist()
                for i, sent in enumerate(active):
                    for j, b in enumerate(beams[i]):
                        self.finalize(final[sent], b, b[2] + eos[i * width + j], step)
                break
            totals = torch.tensor([b[2] for bs in beams for b in bs], dtype=torch.float64).to(lp.dtype).view(-1, 1)
            lp.add_(totals)
            k = min(2 * self.beam, width * self.vocab - 1)
            vals, idx = lp.view(len(beams), width * self.vocab).topk(k, 1, True, True)
            scores, flat = vals.tolist(), idx.tolist()
            rows, sents, keep, kept = [], [], [], []
            for i, sent in enumerate(active):
                nxt, frm = self.advance(final[sent], beams[i], scores[i], flat[i], step)
                if nxt is None:
                    continue
                rows.extend(i * width + b for b in frm)
                sents.append(i)
                keep.append(sent)
                kept.append(nxt)
            active, beams = keep, kept
            if active:
                self.st.keep(rows, sents, self.beam)
            step += 1
        for hyps in final:
            hyps.sort(key=lambda h: -h[1])  # stable, as zoo's
        return final

    def advance(self, final, beams, scores, flat, step):
        v = self.vocab
        for j in range(min(self.beam, len(flat))):
            b, tok, score = flat[j] // v, flat[j] % v, scores[j]
            if tok == self.eos and score != float("-inf"):
                self.finalize(final, beams[b], score, step)
        if len(final) >= self.beam:
            return None, None
        nxt, frm = [], []
        for j in range(len(flat)):
            if len(nxt) >= self.beam:
                break
            b, tok, score = flat[j] // v, flat[j] % v, scores[j]
            if tok != self.eos:
                tokens, pos, total = beams[b]
                nxt.append((tokens + [tok], pos + [score - total], score))
                frm.append(b)
        return nxt, frm


def transformer(desc, residual, params):
    return Transformer(desc, residual, params)
