#!/usr/bin/env python3
"""Measure the operation timings attnsim's time model reads, on one CUDA GPU.

Writes a measurement file in the format of configs/hardware/measurements/*.json (described in
configs/hardware/measurements/README.md). Run it on your own GPU, then point a hardware preset at
the file (`measurements: my-gpu.json` in the preset's YAML) and use `attnsim roofline --hw
my-gpu.yaml`. Needs Python 3 and PyTorch with CUDA; takes about two minutes on an H200.

    python3 tools/measure_gpu.py -o my-gpu.json [--quick]

Method: every operation is timed with CUDA events around one call, the median of `reps` calls
after 3 warm-ups, on random bf16 data (as ../shared/reference/measurements/h200/measure_ops.py did).
Such a standalone time includes one launch from Python; the same operation replayed from a CUDA
graph (`graph_s`, the mean over 20 back-to-back copies in one graph) does not. The launch costs
themselves are measured on a 1 × 64 × 64 matrix product (`launch`).
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys

import torch
import torch.nn.functional as F

DT = torch.bfloat16


def rand(*shape, dtype=DT):
    return torch.randn(*shape, device="cuda", dtype=dtype)


def standalone(fn, reps=10, warm=3):
    """Median seconds of one call between two CUDA events (includes one launch)."""
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b) / 1e3)
    times.sort()
    return times[len(times) // 2]


def in_graph(fn, copies=20, reps=5):
    """Seconds per call when `copies` calls are replayed from one CUDA graph (no Python launch)."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(copies):
            fn()
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        graph.replay()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b) / 1e3 / copies)
    times.sort()
    del graph
    return times[len(times) // 2]


def software():
    driver = "unknown"
    try:
        driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        pass
    return (f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
            f"driver {driver}, Python {platform.python_version()}")


def peaks(res):
    n = 8192
    a, b = rand(n, n), rand(n, n)
    s = standalone(lambda: a @ b, reps=10)
    del a, b
    words = 1 << 30  # 2 GiB of bf16
    x = torch.empty(words, device="cuda", dtype=DT)
    y = torch.empty_like(x)
    copy_s = standalone(lambda: y.copy_(x), reps=10)
    read_s = standalone(lambda: x.sum(), reps=10)
    del x, y
    res["peaks"] = {"gemm_bf16_tflops": 2 * n ** 3 / s / 1e12,
                    "copy_gb_per_s": 2 * words * 2 / copy_s / 1e9,
                    "read_gb_per_s": words * 2 / read_s / 1e9}


def launch(res):
    x, w = rand(1, 64), rand(64, 64)
    res["launch"] = {"standalone_s": standalone(lambda: x @ w.t(), reps=50),
                     "graph_s": in_graph(lambda: x @ w.t(), copies=100),
                     "note": "a 1 x 64 x 64 bf16 matrix product: standalone (CUDA events around one eager call) "
                             "and per copy in a CUDA graph of 100 copies"}


def gemm(res, quick):
    Ms = [1, 4, 16, 64, 256, 1024, 4096, 16384] if quick else \
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
    NKs = [(4096, 4096), (6144, 4096), (28672, 4096), (4096, 14336), (1024, 4096), (128256, 4096)]
    rows = []
    for N, K in NKs:
        w = rand(N, K)
        for M in Ms:
            x = rand(M, K)
            row = {"M": M, "N": N, "K": K, "s": standalone(lambda: x @ w.t())}
            if M * N <= (1 << 28):  # 20 outputs of at most 512 MiB each in the graph
                row["graph_s"] = in_graph(lambda: x @ w.t())
            rows.append(row)
            del x
        del w
    res["gemm"] = rows


def decode_attention(res, quick):
    H, KV, d = 32, 8, 128
    rows = []
    for B in (1, 8, 32, 128):
        for L in (1024, 4096, 16384, 65536, 131072):
            if B * L > 2 ** 21 or (quick and L not in (1024, 16384)):
                continue
            q, k, v = rand(B, H, 1, d), rand(B, KV, L, d), rand(B, KV, L, d)
            fn = lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
            rows.append({"B": B, "L": L, "H": H, "KV": KV, "d": d,
                         "s": standalone(fn, reps=20), "graph_s": in_graph(fn)})
            del q, k, v
    res["decode_attention"] = rows


def prefill_attention(res, quick):
    H, KV, d = 32, 8, 128
    rows = []
    for T in ((1024, 16384) if quick else (1024, 2048, 4096, 8192, 16384, 32768, 65536)):
        q, k, v = rand(1, H, T, d), rand(1, KV, T, d), rand(1, KV, T, d)
        fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        rows.append({"T": T, "H": H, "KV": KV, "d": d, "s": standalone(fn, warm=2, reps=5)})
        del q, k, v
    res["prefill_attention"] = rows


def state_update(res, quick):
    # The bandwidth floor of a recurrent decode step: 48 heads of 128 x 128 fp32 state per
    # sequence read and written once (an in-place scale; a fused delta-rule kernel adds its
    # arithmetic on the same single pass).
    heads, dk, dv = 48, 128, 128
    rows = []
    for B in ((1, 64) if quick else (1, 8, 64, 256)):
        S = rand(B, heads, dk, dv, dtype=torch.float32)
        fn = lambda: S.mul_(0.999)
        rows.append({"B": B, "heads": heads, "dk": dk, "dv": dv,
                     "bytes_read_plus_write": 2 * B * heads * dk * dv * 4,
                     "s": standalone(fn, reps=20), "graph_s": in_graph(fn)})
        del S
    res["state_update"] = rows


def elementwise(res, quick):
    # One read and one write of T x 4096 bf16 activations (a residual add's traffic pattern).
    rows = []
    for T in ((1, 1024, 65536) if quick else (1, 64, 1024, 8192, 65536)):
        x, y = rand(T, 4096), rand(T, 4096)
        fn = lambda: x.add_(y)
        rows.append({"bytes": 3 * T * 4096 * 2, "s": standalone(fn, reps=20), "graph_s": in_graph(fn)})
        del x, y
    res["elementwise"] = rows


def dump(res):
    """JSON with one line per measured row (diffs of a re-measurement stay readable)."""
    lines = []
    for key, value in res.items():
        if isinstance(value, list):
            rows = ",\n".join("  " + json.dumps(row) for row in value)
            lines.append(f" {json.dumps(key)}: [\n{rows}\n ]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", required=True, help="measurement file to write (.json)")
    parser.add_argument("--quick", action="store_true", help="fewer shapes (about 30 s)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("measure_gpu.py needs a CUDA GPU and PyTorch built with CUDA")
    props = torch.cuda.get_device_properties(0)
    res = {"format": 1,
           "device": f"{props.name} ({props.total_memory / 1e9:.0f} GB, {props.multi_processor_count} SMs)",
           "source": f"tools/measure_gpu.py{' --quick' if args.quick else ''}, "
                     f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
           "software": software(),
           "method": "CUDA events around one eager call, median of 5-50 timed calls after warm-ups; "
                     "graph_s: per copy in a CUDA graph of 20 copies; random bf16 data"}
    for name, fn in (("peaks", peaks), ("launch", launch), ("gemm", gemm),
                     ("decode_attention", decode_attention), ("prefill_attention", prefill_attention),
                     ("state_update", state_update), ("elementwise", elementwise)):
        try:
            fn(res) if name in ("peaks", "launch") else fn(res, args.quick)
        except Exception as error:  # keep what was measured; say what failed
            res.setdefault("errors", []).append(f"{name}: {error!r}")
        torch.cuda.empty_cache()
        print(f"{name} done", file=sys.stderr, flush=True)
        tmp = args.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(dump(res))
        os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
