#!/usr/bin/python3
"""Golden logits for nmt.Model from an independent reference: PyTorch's
own nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (post-norm,
and norm_first for pre-ln with a final LayerNorm per stack), fed with
fairseq-style inputs (embeddings scaled by sqrt(d), sinusoidal positions
that count from padding_idx + 1 over non-pad tokens) and an untied output
projection without bias. Weights are random, norms included, and written
under zoo's variable names.

    /usr/bin/python3 nmt/testdata/transformer_golden.py > nmt/testdata/transformer_golden.json
"""
import json
import math

import torch
from torch import nn

D, H, F, ENC, DEC, SV, TV, PAD = 8, 2, 16, 2, 2, 9, 10, 1
SRC = [[5, 6, 7, 8, 2], [4, 8, 2, PAD, PAD]]
PREV = [[2, 4, 5, 9, 6], [2, 7, 3, PAD, PAD]]


def sinusoid(rows, dim, pad):
    half = dim // 2
    freq = torch.exp(torch.arange(half, dtype=torch.float) * -(math.log(10000) / (half - 1)))
    ang = torch.arange(rows, dtype=torch.float).unsqueeze(1) * freq.unsqueeze(0)
    table = torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)
    table[pad] = 0
    return table


def embed(weight, tokens, table):
    mask = tokens.ne(PAD).long()
    positions = torch.cumsum(mask, dim=1) * mask + PAD
    return weight[tokens] * math.sqrt(D) + table[positions]


def case(residual, seed):
    torch.manual_seed(seed)
    pre = residual == "pre-ln"
    enc = [nn.TransformerEncoderLayer(D, H, F, dropout=0.0, batch_first=True, norm_first=pre) for _ in range(ENC)]
    dec = [nn.TransformerDecoderLayer(D, H, F, dropout=0.0, batch_first=True, norm_first=pre) for _ in range(DEC)]
    enc_norm, dec_norm = nn.LayerNorm(D), nn.LayerNorm(D)
    src_emb, tgt_emb, out_proj = torch.randn(SV, D), torch.randn(TV, D), torch.randn(TV, D) * 0.3
    modules = enc + dec + [enc_norm, dec_norm]
    with torch.no_grad():
        for m in modules:
            for p in m.parameters():
                p.copy_(torch.randn_like(p) * 0.3)
        for m in [enc_norm, dec_norm] + [n for l in enc + dec for n in (l.norm1, l.norm2, getattr(l, "norm3", None)) if n]:
            m.weight.add_(1.0)
        src_emb[PAD] = 0
        tgt_emb[PAD] = 0

    weights = {
        "encoder.embed_tokens.weight": src_emb,
        "decoder.embed_tokens.weight": tgt_emb,
        "decoder.output_projection.weight": out_proj,
    }

    def attn(prefix, m):
        weights[prefix + ".in_proj_weight"] = m.in_proj_weight
        weights[prefix + ".in_proj_bias"] = m.in_proj_bias
        weights[prefix + ".out_proj.weight"] = m.out_proj.weight
        weights[prefix + ".out_proj.bias"] = m.out_proj.bias

    def norm(prefix, m):
        weights[prefix + ".weight"], weights[prefix + ".bias"] = m.weight, m.bias

    def ffn(prefix, layer):
        weights[prefix + ".fc1.weight"], weights[prefix + ".fc1.bias"] = layer.linear1.weight, layer.linear1.bias
        weights[prefix + ".fc2.weight"], weights[prefix + ".fc2.bias"] = layer.linear2.weight, layer.linear2.bias

    for i, l in enumerate(enc):
        p = f"encoder.layers.{i}"
        attn(p + ".self_attn", l.self_attn)
        norm(p + ".self_attn_residual.norm", l.norm1)
        ffn(p, l)
        norm(p + ".ffn_residual.norm", l.norm2)
    for i, l in enumerate(dec):
        p = f"decoder.layers.{i}"
        attn(p + ".self_attn", l.self_attn)
        norm(p + ".self_attn_residual.norm", l.norm1)
        attn(p + ".encoder_attn", l.multihead_attn)
        norm(p + ".encoder_attn_residual.norm", l.norm2)
        ffn(p, l)
        norm(p + ".ffn_residual.norm", l.norm3)
    if pre:
        norm("encoder.layer_norm", enc_norm)
        norm("decoder.layer_norm", dec_norm)

    src, prev = torch.tensor(SRC), torch.tensor(PREV)
    table = sinusoid(64 + PAD + 1, D, PAD)
    src_pad = src.eq(PAD)
    causal = torch.triu(torch.full((prev.size(1), prev.size(1)), float("-inf")), diagonal=1)
    # Grad mode stays on so that PyTorch takes its reference (not fast) path.
    x = embed(src_emb, src, table)
    for l in enc:
        x = l(x, src_key_padding_mask=src_pad)
    if pre:
        x = enc_norm(x)
    y = embed(tgt_emb, prev, table)
    for l in dec:
        y = l(y, x, tgt_mask=causal, memory_key_padding_mask=src_pad)
    if pre:
        y = dec_norm(y)
    logits = y @ out_proj.t()

    def flat(t):
        return {"shape": list(t.shape), "data": [round(v, 7) for v in t.detach().reshape(-1).tolist()]}

    return {
        "residual": residual,
        "weights": {k: flat(v) for k, v in sorted(weights.items())},
        "logits": flat(logits),
    }


print(json.dumps({
    "d_model": D, "heads": H, "ffn_dim": F, "encoder_layers": ENC, "decoder_layers": DEC,
    "src_vocab": SV, "tgt_vocab": TV, "padding_idx": PAD, "src": SRC, "prev": PREV,
    "cases": [case("post-ln", 1), case("pre-ln", 2)],
}, separators=(",", ":")))
