#!/usr/bin/python3
"""attnsim's reference kernels side by side with the same algorithms in PyTorch on the CPU.

Runs, at one size (default T = 4096, 16 heads, head dim 128, batch 1, float64) and for each
thread count (default 1 and all cores):
  - masked softmax attention as it is usually written: scores = q kᵀ·s, masked_fill of the
    future with −inf, softmax, @ v (one head at a time, so the T×T scores fit in memory);
  - the naive chunked gated delta rule as flash-linear-attention writes it (its torch
    reference beside the Triton kernels; transformers ships the same algorithm as
    torch_chunk_gated_delta_rule in models/qwen3_next): chunks of 64, decay mask, row-by-row
    forward substitution for (I + tril(β K Kᵀ ⊙ decay))⁻¹, then a loop over chunks;
  - the chunked SSD reference of mamba_ssm (ssd_minimal_discrete in
    mamba_ssm/modules/ssd_minimal.py, "Listing 1" of the Mamba-2 paper): diagonal blocks through
    the segment-sum decay matrix, chunk states, the inter-chunk recurrence as one product with
    the chunk-level decay matrix, state-to-output;
and attnsim_bench's matching cases (softmax_attn, gated_deltanet, mamba2) through
`attnsim_bench --json --tokens T --threads n`. Prints both times and torch / attnsim.

The torch functions are written here from those algorithms (not copied); their inputs are random
like the benchmark's. Counted work differs where the algorithms do: the dense attention computes
all T² scores where attnsim's blocked form skips most masked blocks, and the SSD reference's
inter-chunk step is quadratic in the number of chunks.

Usage: bench/compare_torch.py [--bench build/attnsim_bench] [--tokens 4096] [--threads 1,2]
                              [--dtype float64|float32] [--reps 1] [--check]
(--check: the torch functions against token-by-token recurrences at T = 128, to 1e-10.)
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

HEADS, DIM, CHUNK = 16, 128, 64
# attnsim_bench's mixer name for each case (the SSD core is the mamba2 kind)
BENCH_NAMES = {"softmax_attn": "softmax_attn", "gated_deltanet": "gated_deltanet",
               "mamba2_ssd": "mamba2"}


def softmax_attention(q, k, v):
    """q, k, v [H, T, D] → o [H, T, D]; causal, one head at a time."""
    T, scale = q.shape[1], 1.0 / math.sqrt(q.shape[2])
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    out = torch.empty_like(v)
    for h in range(q.shape[0]):
        scores = (q[h] @ k[h].transpose(0, 1)) * scale
        scores.masked_fill_(future, float("-inf"))
        out[h] = torch.softmax(scores, dim=-1) @ v[h]
    return out


def chunked_gated_delta_rule(q, k, v, g, beta, chunk=CHUNK):
    """q, k, v [H, T, D], g (log decay) and beta [H, T]; T a multiple of chunk → o [H, T, D]."""
    H, T, K = q.shape
    q = F.normalize(q, p=2, dim=-1, eps=1e-6) / math.sqrt(K)
    k = F.normalize(k, p=2, dim=-1, eps=1e-6)
    n = T // chunk
    q, k, v = (x.reshape(H, n, chunk, -1) for x in (q, k, v))
    beta, g = beta.reshape(H, n, chunk), g.reshape(H, n, chunk).cumsum(-1)
    k_beta, v_beta = k * beta[..., None], v * beta[..., None]
    # decay(i, j) = exp(Γ_i − Γ_j) for j ≤ i
    decay = (g[..., :, None] - g[..., None, :]).tril().exp().tril()
    upper = torch.ones(chunk, chunk, dtype=torch.bool).triu(0)
    a = -((k_beta @ k.transpose(-1, -2)) * decay).masked_fill(upper, 0)
    for i in range(1, chunk):  # forward substitution: (I + A)⁻¹ − I, one row at a time
        a[..., i, :i] = a[..., i, :i] + (a[..., i, :, None] * a[..., :, :i]).sum(-2)
    a = a + torch.eye(chunk, dtype=q.dtype)
    u = a @ v_beta
    w = a @ (k_beta * g.exp()[..., None])
    state = torch.zeros(H, K, v.shape[-1], dtype=q.dtype)
    out = torch.empty_like(v)
    strictly_upper = torch.ones(chunk, chunk, dtype=torch.bool).triu(1)
    for c in range(n):
        qc, kc, gc = q[:, c], k[:, c], g[:, c]
        scores = (qc @ kc.transpose(-1, -2) * decay[:, c]).masked_fill(strictly_upper, 0)
        u_new = u[:, c] - w[:, c] @ state
        out[:, c] = (qc * gc.exp()[..., None]) @ state + scores @ u_new
        to_end = (gc[:, -1:] - gc).exp()[..., None]
        state = state * gc[:, -1, None, None].exp() + (kc * to_end).transpose(-1, -2) @ u_new
    return out.reshape(H, T, -1)


def segment_sums(x):
    """x [..., L] → [..., L, L] with entry (i, j) = Σ_{j < t ≤ i} x_t for j ≤ i, −inf above."""
    L = x.shape[-1]
    repeated = x[..., None].expand(*x.shape, L)
    repeated = repeated.masked_fill(~torch.ones(L, L, dtype=torch.bool).tril(-1), 0)
    sums = repeated.cumsum(-2)
    return sums.masked_fill(~torch.ones(L, L, dtype=torch.bool).tril(0), float("-inf"))


def chunked_ssd(x, a, b, c, chunk=CHUNK):
    """x [T, H, P] (already Δ-scaled), a [T, H] (Δ·A), b, c [T, N] (one group) → y [T, H, P]."""
    T, H, P = x.shape
    n = T // chunk
    x, b, c = x.reshape(n, chunk, H, P), b.reshape(n, chunk, -1), c.reshape(n, chunk, -1)
    a = a.reshape(n, chunk, H).permute(2, 0, 1)  # [H, n, l]
    a_cumsum = a.cumsum(-1)
    # 1. diagonal blocks: y = (L ∘ C Bᵀ) X per chunk
    decay = segment_sums(a).exp()  # [H, n, l, s]
    y_diag = torch.einsum("cln,csn,hcls,cshp->clhp", c, b, decay, x)
    # 2. each chunk's state from its own inputs
    to_end = (a_cumsum[..., -1:] - a_cumsum).exp()  # [H, n, l]
    states = torch.einsum("cln,hcl,clhp->chpn", b, to_end, x)
    # 3. states at chunk starts: one product with the chunk-level decay matrix
    states = torch.cat([torch.zeros_like(states[:1]), states], dim=0)
    chunk_decay = segment_sums(F.pad(a_cumsum[..., -1], (1, 0))).exp()  # [H, n+1, n+1]
    states = torch.einsum("hzc,chpn->zhpn", chunk_decay, states)[:-1]
    # 4. state → output
    y_off = torch.einsum("cln,chpn,hcl->clhp", c, states, a_cumsum.exp())
    return (y_diag + y_off).reshape(T, H, P)


def check():
    """The three torch functions against token-by-token recurrences (T = 128, chunks of 16)."""
    torch.manual_seed(0)
    H, T, D, P, N, d = 3, 128, 16, 8, 5, torch.float64
    q, k, v = (torch.randn(H, T, D, dtype=d) for _ in range(3))
    g, beta = -0.5 * torch.rand(H, T, dtype=d), torch.rand(H, T, dtype=d)
    qn, kn = F.normalize(q, dim=-1, eps=1e-6) / math.sqrt(D), F.normalize(k, dim=-1, eps=1e-6)
    state, expected = torch.zeros(H, D, D, dtype=d), torch.empty_like(v)
    for t in range(T):  # S ← e^g S;  u = β (v − Sᵀk);  S ← S + k uᵀ;  o = Sᵀq
        state = state * g[:, t].exp()[:, None, None]
        u = beta[:, t, None] * (v[:, t] - torch.einsum("hk,hkv->hv", kn[:, t], state))
        state = state + kn[:, t, :, None] * u[:, None, :]
        expected[:, t] = torch.einsum("hk,hkv->hv", qn[:, t], state)
    errors = {"gated_deltanet": (chunked_gated_delta_rule(q, k, v, g, beta, 16) - expected)}
    scores = (q @ k.transpose(1, 2)) / math.sqrt(D)
    scores = scores.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    errors["softmax_attn"] = softmax_attention(q, k, v) - torch.softmax(scores, -1) @ v
    x, a = torch.randn(T, H, P, dtype=d), -torch.rand(T, H, dtype=d)
    b, c = torch.randn(T, N, dtype=d), torch.randn(T, N, dtype=d)
    h, expected = torch.zeros(H, P, N, dtype=d), torch.empty_like(x)
    for t in range(T):  # h ← e^a h + x bᵀ;  y = h c
        h = h * a[t].exp()[:, None, None] + x[t][:, :, None] * b[t][None, None, :]
        expected[t] = torch.einsum("hpn,n->hp", h, c[t])
    errors["mamba2_ssd"] = chunked_ssd(x, a, b, c, 16) - expected
    worst = {name: e.abs().max().item() for name, e in errors.items()}
    print("max |chunked − recurrent|:", worst)
    return 0 if max(worst.values()) < 1e-10 else 1


def best_seconds(function, reps):
    best = math.inf
    for _ in range(reps):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def torch_cases(T, dtype):
    gen = torch.Generator().manual_seed(0)

    def rand(*shape, low=-1.0, high=1.0):
        return torch.rand(*shape, generator=gen, dtype=dtype) * (high - low) + low

    q, k, v = rand(HEADS, T, DIM), rand(HEADS, T, DIM), rand(HEADS, T, DIM)
    g, beta = rand(HEADS, T, low=-0.5, high=0.0), rand(HEADS, T, low=0.0, high=1.0)
    dt = F.softplus(rand(T, HEADS, low=-3, high=0))
    x, a_log = rand(T, HEADS, DIM), rand(HEADS, low=-2, high=-0.5)
    b, c = rand(T, DIM), rand(T, DIM)
    return {
        "softmax_attn": lambda: softmax_attention(q, k, v),
        "gated_deltanet": lambda: chunked_gated_delta_rule(q, k, v, g, beta),
        "mamba2_ssd": lambda: chunked_ssd(x * dt[..., None], dt * a_log, b, c),
    }


def attnsim_seconds(bench, T, threads, precision, reps):
    lines = subprocess.run(
        [bench, "--json", "--tokens", str(T), "--threads", str(threads), "--precision", precision,
         "--reps", str(reps), *BENCH_NAMES.values()],
        check=True, capture_output=True, text=True).stdout.splitlines()
    seconds = {row["mixer"]: row["seconds"] for row in map(json.loads, lines)}
    return {case: seconds[mixer] for case, mixer in BENCH_NAMES.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default="build/attnsim_bench")
    parser.add_argument("--tokens", type=int, default=4096)
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--check", action="store_true",
                        help="only check the torch functions against recurrences (seconds)")
    args = parser.parse_args()
    if args.check:
        return check()
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    print(f"torch {torch.__version__}, T = {args.tokens}, {HEADS} heads, head dim {DIM}, "
          f"{args.dtype}, batch 1; times in wall seconds, best of {args.reps}")
    print(f"{'mixer':<15} {'threads':>7} {'torch_s':>9} {'attnsim_s':>10} {'torch/attnsim':>14}")
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        ours = attnsim_seconds(args.bench, args.tokens, threads, args.dtype, args.reps)
        for mixer, run in torch_cases(args.tokens, dtype).items():
            theirs = best_seconds(run, args.reps)
            print(f"{mixer:<15} {threads:>7} {theirs:>9.3f} {ours[mixer]:>10.3f} "
                  f"{theirs / ours[mixer]:>13.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
