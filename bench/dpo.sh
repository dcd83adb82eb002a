#!/usr/bin/env bash
# Preference training (issue 16): our DPO step (LoRA r 8 on every linear layer, pref_loss sigmoid, gradient
# checkpointing, against the log-probs of the ref-logprobs pass) beside TRL 1.13's DPOTrainer with the reference
# forward in every step and with precompute_ref_log_probs, on the same bf16 checkpoint (the scale ladder's, kept in
# bench/target/scale/ckpt), the same token ids (TRL reads our packed table) and the same cores, one process at a
# time under /tmp/sparktune-bigrun.lock; prints load s, peak RSS, tokens/s, ours/TRL and the reference pass's own
# documents/s and tokens/s, and writes bench/target/dpo/results.json; logs per case in bench/target/dpo/<case>/.
# Usage: bench/dpo.sh [--steps N] [--pairs N] [--driver-memory SIZE] [--one-rank] [CASE ...]
# CASE: a shape (tiny, qwen3-0.6b, qwen3-1.7b, qwen3-4b: LoRA at 2 ranks x 1 thread, fsdp auto; --one-rank adds
# 1 rank x 2 threads) or SHAPE:lora:FSDP:RANKSxTHREADS[:ROW] (ROW: tokens of a pair's row, cutoff_len its half;
# default the shape's scale-ladder row, 1024 for qwen3-0.6b). Defaults: qwen3-0.6b, 2 measured steps (tiny: 1) of
# 2 pairs. bench/dpo.sh tiny checks the harness in minutes. Record results in docs/BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/bench/target/dpo"
mkdir -p "$work"
source "$root/bench/bench-env.sh" "$work"
java -Xmx512m $flags -cp "$cp" dev.sparktune.bench.DpoBenchmark --python "$py" "$@"
