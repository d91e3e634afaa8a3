#!/usr/bin/env python3
"""End-to-end step times of a dense GQA transformer in plain PyTorch, to compare with
`attnsim roofline` (default shapes: Llama-3-8B, architectures/llama-3-8b.yaml).

    python3 tools/measure_step.py -o step.json [--decode 1x2048,8x32768] [--prefill 2048,8192]

Decode: one token for each of B sequences whose KV cache holds L tokens, the whole step (every
layer and the lm head) captured in one CUDA graph and replayed (as serving engines run decode);
the median of 10 replays. Prefill: one sequence of T tokens run eagerly (logits for every
position, attnsim's FLOP convention), the median of 3 runs. Matrix products are cuBLAS (bf16),
attention PyTorch's scaled_dot_product_attention, norms F.rms_norm; random weights.
"""
import argparse
import json
import sys

import torch
import torch.nn.functional as F

from measure_gpu import in_graph, standalone  # CUDA-event timers (same folder)

DT = torch.bfloat16


class Model:
    def __init__(self, a):
        self.a = a
        r = lambda *s: torch.randn(*s, device="cuda", dtype=DT) * 0.02
        qkv = (a.heads + 2 * a.kv_heads) * a.head_dim
        self.layers = [dict(n1=torch.ones(a.d_model, device="cuda", dtype=DT),
                            n2=torch.ones(a.d_model, device="cuda", dtype=DT),
                            wqkv=r(qkv, a.d_model), wo=r(a.d_model, a.heads * a.head_dim),
                            wgu=r(2 * a.ffn, a.d_model), wd=r(a.d_model, a.ffn))
                       for _ in range(a.layers)]
        self.norm = torch.ones(a.d_model, device="cuda", dtype=DT)
        self.lm_head = r(a.vocab, a.d_model)

    def rope(self, x, cos, sin):  # rotate-half RoPE: x·cos + rot(x)·sin
        x1, x2 = x.chunk(2, dim=-1)
        return x * cos + torch.cat((-x2, x1), dim=-1) * sin

    def layer(self, w, x, B, T, cos, sin, attend):
        a = self.a
        h = F.rms_norm(x, (a.d_model,), w["n1"], 1e-5)
        qkv = h @ w["wqkv"].t()
        q, k, v = qkv.split([a.heads * a.head_dim, a.kv_heads * a.head_dim, a.kv_heads * a.head_dim], -1)
        q = self.rope(q.view(B, T, a.heads, a.head_dim), cos, sin).transpose(1, 2)
        k = self.rope(k.view(B, T, a.kv_heads, a.head_dim), cos, sin).transpose(1, 2)
        v = v.view(B, T, a.kv_heads, a.head_dim).transpose(1, 2)
        o = attend(q, k, v).transpose(1, 2).reshape(B * T, a.heads * a.head_dim)
        x = x + o @ w["wo"].t()
        h = F.rms_norm(x, (a.d_model,), w["n2"], 1e-5)
        g, u = (h @ w["wgu"].t()).chunk(2, dim=-1)
        return x + (F.silu(g) * u) @ w["wd"].t()

    def decode(self, x, caches, pos, cos, sin):
        B = x.shape[0]
        for w, (kc, vc) in zip(self.layers, caches):
            def attend(q, k, v):
                kc[:, :, pos:pos + 1].copy_(k)
                vc[:, :, pos:pos + 1].copy_(v)
                return F.scaled_dot_product_attention(q, kc, vc, enable_gqa=True)
            x = self.layer(w, x, B, 1, cos, sin, attend)
        return F.rms_norm(x, (self.a.d_model,), self.norm, 1e-5) @ self.lm_head.t()

    def prefill(self, x, cos, sin):
        T = x.shape[0]
        attend = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        for w in self.layers:
            x = self.layer(w, x, 1, T, cos, sin, attend)
        return F.rms_norm(x, (self.a.d_model,), self.norm, 1e-5) @ self.lm_head.t()


def decode_point(model, a, B, L):
    caches = [(torch.empty(B, a.kv_heads, L, a.head_dim, device="cuda", dtype=DT).normal_(),
               torch.empty(B, a.kv_heads, L, a.head_dim, device="cuda", dtype=DT).normal_())
              for _ in range(a.layers)]
    x = torch.randn(B, a.d_model, device="cuda", dtype=DT)
    cos = torch.randn(1, 1, 1, a.head_dim, device="cuda", dtype=DT)
    sin = torch.randn(1, 1, 1, a.head_dim, device="cuda", dtype=DT)
    step = lambda: model.decode(x, caches, L - 1, cos, sin)
    seconds = in_graph(step, copies=1, reps=10)  # one step captured in a CUDA graph
    eager = standalone(step, reps=3, warm=1)
    del caches
    return {"B": B, "L": L, "s": seconds, "eager_s": eager}


def prefill_point(model, a, T):
    x = torch.randn(T, a.d_model, device="cuda", dtype=DT)
    cos = torch.randn(1, T, 1, a.head_dim, device="cuda", dtype=DT)
    sin = torch.randn(1, T, 1, a.head_dim, device="cuda", dtype=DT)
    return {"B": 1, "T": T, "s": standalone(lambda: model.prefill(x, cos, sin), reps=3, warm=1)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--layers", type=int, default=32)
    p.add_argument("--d-model", type=int, default=4096)
    p.add_argument("--heads", type=int, default=32)
    p.add_argument("--kv-heads", type=int, default=8)
    p.add_argument("--head-dim", type=int, default=128)
    p.add_argument("--ffn", type=int, default=14336)
    p.add_argument("--vocab", type=int, default=128256)
    p.add_argument("--decode", default="1x2048,1x32768,1x131072,8x8192,8x32768,32x4096,32x16384,64x8192,128x2048,256x2048")
    p.add_argument("--prefill", default="2048,8192,32768")
    a = p.parse_args()
    torch.manual_seed(0)
    res = {"model": vars(a), "gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
           "decode": [], "prefill": [], "errors": []}
    model = Model(a)
    with torch.no_grad():
        for point in a.decode.split(","):
            B, L = (int(v) for v in point.split("x"))
            try:
                res["decode"].append(decode_point(model, a, B, L))
            except Exception as error:
                res["errors"].append(f"decode {point}: {error!r}")
            torch.cuda.empty_cache()
            print("decode", point, res["decode"][-1:] , file=sys.stderr, flush=True)
            json.dump(res, open(a.output, "w"), indent=1)
        for T in (int(v) for v in a.prefill.split(",")):
            try:
                res["prefill"].append(prefill_point(model, a, T))
            except Exception as error:
                res["errors"].append(f"prefill {T}: {error!r}")
            torch.cuda.empty_cache()
            print("prefill", T, res["prefill"][-1:], file=sys.stderr, flush=True)
            json.dump(res, open(a.output, "w"), indent=1)


if __name__ == "__main__":
    main()
