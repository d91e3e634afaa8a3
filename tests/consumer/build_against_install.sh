#!/usr/bin/env bash
# Installs attnsim from BUILD_DIR into a temporary prefix, builds tests/consumer against it with
# find_package(attnsim), runs it with the source tree out of reach, and checks its answer.
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
cmake -S "$here" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null
# Llama 3 8B: 32 layers × 8 KV heads × 128 dims × (K and V) × 2 bytes (bf16) = 131,072 bytes;
# 8,030,261,248 parameters (transformers' count of Meta-Llama-3-8B, as held in params tests).
# ATTNSIM_DATA_DIR points at the installed data, so the source tree is not what answers.
expected="131072 8030261248 UserError"
answer=$(ATTNSIM_DATA_DIR="$scratch/prefix/share/attnsim" "$scratch/build/consumer")
if [ "$answer" != "$expected" ]; then
  echo "consumer printed '$answer', expected '$expected'" >&2
  exit 1
fi
echo "consumer built against the installed attnsim: $answer"
