#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each, seeded with the shipped architectures,
# the reference HF configs and .npy examples, and the malformed corpus. Fails (non-zero) on the
# first crash, leak, sanitizer report or timeout; the input that caused it is written to
# build-fuzzers/artifacts/ (add it to tests/malformed/ once fixed).
#   fuzz/run.sh [SECONDS] [TARGET...]   explore for SECONDS each (default 60), random seed
#   fuzz/run.sh --runs N [TARGET...]    exactly N inputs each from seed 1: the same inputs on
#                                       every machine, so CI does not fail at random (a 600 s
#                                       cap per target bounds the time on a slow machine)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --runs ]; then
  limit=(-runs="$2" -seed=1 -max_total_time=600)
  shift 2
else
  limit=(-max_total_time="${1:-60}")
  shift || true
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_architecture fuzz_hf_config fuzz_npy)
reference=../shared/reference
build=${ATTNSIM_FUZZ_BUILD:-build-fuzzers}  # the build folder (override to reuse one)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DATTNSIM_FUZZ=ON -DATTNSIM_WERROR=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}"

seeds_for() {
  case "$1" in
    fuzz_architecture) echo architectures tests/malformed/arch ;;
    fuzz_hf_config) echo "$reference/hf-configs" tests/malformed/hf ;;
    fuzz_npy)
      mkdir -p $build/seeds/npy
      # q.npy exists in many example folders: name each seed after its whole path.
      find "$reference/mixer-examples" -name '*.npy' 2>/dev/null | while read -r file; do
        cp "$file" "$build/seeds/npy/$(echo "${file#"$reference"/}" | tr / _)"
      done
      echo $build/seeds/npy tests/malformed/npy ;;
  esac
}

mkdir -p $build/artifacts
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target  # new inputs go here; the seed folders are only read
  mkdir -p "$corpus"
  existing=()
  for dir in $(seeds_for "$target"); do [ -d "$dir" ] && existing+=("$dir"); done
  echo "== $target ${limit[*]} (seeds: ${existing[*]})"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
    "$corpus" "${existing[@]}"
done
