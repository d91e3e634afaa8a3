#!/usr/bin/env python3
"""Independent float64 values for reference_test.cpp's worked examples of compressed_attn.

Written from DeepSeek-V4's reference inference/model.py (Compressor.forward's start_pos == 0
path with overlap_transform, Indexer.forward, Attention.forward, apply_rotary_emb) and the
sparse_attn of its kernel.py (the sink adds exp(sink) to the denominator only), read at
Nicooo-Wang/DeepSeek-V4-Pro-code@0ec3a03c2fc34f29b2e72696ceaed9ae7a373aeb, inference/. Whole-
sequence tensor operations in torch, as model.py writes them; no code of attnsim is used. Left
out as in attnsim's kernel: the fp8/fp4 quantisation simulation, the Hadamard rotation of the
indexer (orthogonal on both q and k, so it leaves q·k unchanged) and YaRN.

Every input is sin(a·(i + 1)) over its flattened index i, with a per-tensor `a` (the C++ test
builds the same tensors). Run: python3 worked_example.py
"""
import math

import torch

torch.set_default_dtype(torch.float64)
THETA, EPS = 10000.0, 1e-6


def t(shape, a):
    n = math.prod(shape)
    return torch.sin(a * torch.arange(1, n + 1, dtype=torch.float64)).reshape(shape)


def rope_tail(x, pos, rd, inverse=False):
    """model.py apply_rotary_emb on x[..., -rd:] (complex view of interleaved pairs)."""
    x = x.clone()
    freqs = 1.0 / (THETA ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))
    cis = torch.polar(torch.ones(rd // 2), pos * freqs)
    if inverse:
        cis = cis.conj()
    z = torch.view_as_complex(x[..., -rd:].contiguous().unflatten(-1, (-1, 2)))
    x[..., -rd:] = torch.view_as_real(z * cis).flatten(-2)
    return x


def compress(kv, score, ape, norm_w, m, overlap, rd):
    """Compressor.forward, start_pos == 0: one entry per complete group of m tokens."""
    d = norm_w.shape[0]
    cutoff = kv.shape[0] - kv.shape[0] % m
    kv = kv[:cutoff].unflatten(0, (-1, m))
    score = score[:cutoff].unflatten(0, (-1, m)) + ape
    if overlap:
        def overlap_transform(x, value):
            new = x.new_full((x.shape[0], 2 * m, d), value)
            new[:, m:] = x[:, :, d:]
            new[1:, :m] = x[:-1, :, :d]
            return new
        kv, score = overlap_transform(kv, 0.0), overlap_transform(score, float("-inf"))
    pooled = (kv * score.softmax(dim=1)).sum(dim=1)
    normed = pooled * torch.rsqrt(pooled.square().mean(-1, keepdim=True) + EPS) * norm_w
    return torch.stack([rope_tail(normed[g], g * m, rd) for g in range(normed.shape[0])])


def run(T, H, D, rd, W, m, overlap, HI=0, dI=0, k=0):
    coff = 2 if overlap else 1
    q, kv = t((T, H, D), 0.7), t((T, D), 1.3)
    sink = t((H,), 1.7)
    entries = compress(t((T, coff * D), 0.45), t((T, coff * D), 2.1), t((m, coff * D), 0.9),
                       t((D,), 0.8), m, overlap, rd)
    keys_i = None
    if HI:
        keys_i = compress(t((T, coff * dI), 0.35), t((T, coff * dI), 1.9), t((m, coff * dI), 0.6),
                          t((dI,), 1.4), m, overlap, rd)
        q_i, w_i = t((T, HI, dI), 0.55), t((T, HI), 1.1)
    window = torch.stack([rope_tail(kv[p], p, rd) for p in range(T)])
    o, lse, topk = torch.zeros(T, H, D), torch.zeros(T, H), []
    for p in range(T):
        visible = (p + 1) // m
        chosen = list(range(visible))
        if HI:
            qr = rope_tail(q_i[p], p, rd)
            weights = w_i[p] * dI ** -0.5 * HI ** -0.5
            score = (torch.einsum("hd,ed->he", qr, keys_i[:visible]).relu() *
                     weights[:, None]).sum(0)
            chosen = score.topk(min(k, visible)).indices.tolist()
            topk.append(chosen + [-1] * (k - len(chosen)))
        K = torch.cat([window[max(0, p - W + 1):p + 1], entries[chosen]])
        qp = rope_tail(q[p], p, rd)
        s = qp @ K.T * D ** -0.5
        lse[p] = torch.logsumexp(torch.cat([s, sink[:, None]], dim=1), dim=1)
        o[p] = rope_tail(torch.exp(s - lse[p][:, None]) @ K, p, rd, inverse=True)
    return entries, keys_i, topk, o, lse


def show(name, x):
    print(f"{name} = {{" + ", ".join(f"{v:.15g}" for v in x.flatten().tolist()) + "}")


print("CSA: T=9 H=2 D=8 rd=4 W=3 m=2 overlap HI=2 dI=4 k=2")
entries, keys_i, topk, o, lse = run(9, 2, 8, 4, 3, 2, True, 2, 4, 2)
show("entries", entries)
show("index_keys", keys_i)
print("topk =", topk)
show("o[8]", o[8])
show("lse", lse)
print("HCA: T=9 H=2 D=8 rd=4 W=3 m=4")
entries, _, _, o, lse = run(9, 2, 8, 4, 3, 4, False)
show("entries", entries)
show("o[8]", o[8])
show("lse", lse)
