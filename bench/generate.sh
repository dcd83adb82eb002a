#!/usr/bin/env bash
# Greedy generation throughput: one prompt at a time vs eval.per_device_eval_batch_size prompts per decoding step
# (SparkTune), beside transformers' generate with the same batching on the same random model shape, in one run.
# Usage: bench/generate.sh [HIDDEN LAYERS HEADS KV_HEADS INTERMEDIATE VOCAB PROMPTS PROMPT_LEN NEW BATCH]
# (default: the demo's model shape, Qwen3 hidden 64 x 2 layers, the Qwen3 vocabulary, 32 prompts of 48 tokens,
# 16 new tokens, batch 8). Record results in docs/BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
args=(64 2 4 2 256 151669 32 48 16 8)
[ $# -gt 0 ] && args=("$@")
work="$root/bench/target/generate-bench"
mkdir -p "$work"
source "$root/bench/bench-env.sh" "$work"
OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE java -Xmx4g $flags -cp "$cp" \
  dev.sparktune.bench.GenerationBenchmark "${args[@]}"
OMP_NUM_THREADS=1 "$py" scripts/bench/generate_reference.py "${args[@]}"
