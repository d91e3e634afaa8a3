"""KV cache + recurrent state vs context for a few architectures, drawn with matplotlib from the
attnsim Python module's results (the same numbers as `attnsim kv --format json`).

    PYTHONPATH=build/python python3 examples/memory_vs_context.py -o memory.png
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import attnsim  # noqa: E402

MODELS = ["llama-3-8b", "gemma-3-27b", "qwen3-next-80b-a3b", "deepseek-v3"]
CONTEXTS = [2**k for k in range(12, 21)]  # 4K … 1M tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="memory_vs_context.png")
    args = parser.parse_args()
    result = attnsim.kv(MODELS, context=CONTEXTS, batch=1)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for model in result["architectures"]:
        rows = model["rows"]
        axes.plot([row["context"] for row in rows],
                  [row["total_bytes"] / 2**30 for row in rows], marker="o", label=model["name"])
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xlabel("context (tokens)")
    axes.set_ylabel("KV cache + state per sequence (GiB = 2^30 bytes)")
    axes.set_title("Memory vs context, batch 1 (attnsim, architectural minimum)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(args.output, dpi=150)


if __name__ == "__main__":
    main()
