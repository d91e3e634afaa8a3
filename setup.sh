#!/usr/bin/env bash
# One command from a fresh Debian machine: install dependencies, build attnsim, and print the
# KV-cache and recurrent-state table of every shipped architecture.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
./build/attnsim kv --all --context 4k,32k,128k,1M --no-breakdown
