#!/usr/bin/env bash
# Full fine-tuning step time per fsdp mode (compute / communication / data) and bytes held per rank vs 16Ψ/N, beside
# torch DDP (gloo) on the same model, batch and sequence length, one core per rank, in one run; then LoRA r 8 on
# every linear layer, ours beside PEFT's.
# Usage: bench/train-step.sh [RANKS HIDDEN LAYERS HEADS KV_HEADS INTERMEDIATE VOCAB SEQ ROWS_PER_RANK STEPS [DOCS_PER_ROW]]
# (default: 2 ranks, Qwen3 hidden 64 x 2 layers, 4/2 heads, intermediate 256, the Qwen3 vocabulary, seq 512,
# 2 rows per rank, 5 steps). Record results in docs/BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
args=(2 64 2 4 2 256 151669 512 2 5)
[ $# -gt 0 ] && args=("$@")
work="$root/bench/target/train-step-bench"
mkdir -p "$work"
source "$root/bench/bench-env.sh" "$work"
OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE java -Xmx8g $flags -cp "$cp" \
  dev.sparktune.bench.TrainStepBenchmark "${args[@]}"
"$py" scripts/bench/train_step_ddp.py "${args[@]}"
