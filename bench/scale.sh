#!/usr/bin/env bash
# Scale ladder: random-weight bf16 checkpoints with the published Qwen3-0.6B / 1.7B / 4B configs (made here by the
# reference env, kept in bench/target/scale/ckpt, never committed), a warm-up and a few LoRA steps each at 2 ranks x
# 1 core (shard_grad_op and full_shard; 4B at cutoff 2048) plus full fine-tuning of 0.6B at full_shard, with PEFT on
# the same rows beside ours where it fits; prints load s, peak RSS, planned vs held bytes per rank, tokens/s and
# MFU, and writes bench/target/scale/results.json and scale.png. One process at a time, each under
# /tmp/sparktune-bigrun.lock; logs per case in bench/target/scale/<case>/.
# Usage: bench/scale.sh [--steps N] [--rows N] [--peft-max-params N] [--driver-memory SIZE] [--one-rank]
#                       [--no-gradient-checkpointing] [CASE ...]
# CASE: a shape (tiny, qwen3-0.6b, qwen3-1.7b, qwen3-4b: its default cases) or SHAPE:TYPE:FSDP:RANKSxTHREADS[:CUTOFF]
# (e.g. qwen3-4b:lora:full_shard:2x1:2048). Defaults: qwen3-0.6b qwen3-1.7b qwen3-4b, 2 measured steps (tiny: 1),
# 2 rows per step, PEFT up to 3e9 parameters; --one-rank adds each mode at 1 rank x 2 threads. bench/scale.sh tiny
# checks the harness in minutes. Record results in docs/BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/bench/target/scale"
mkdir -p "$work"
source "$root/bench/bench-env.sh" "$work"
java -Xmx512m -Djava.awt.headless=true $flags -cp "$cp" dev.sparktune.bench.ScaleBenchmark --python "$py" "$@"
