#!/usr/bin/env bash
# Prep benchmark: SparkTune's prep job vs the DJL batchEncode ceiling vs transformers + datasets.map, in one run on
# the same machine, corpus and cores. Usage: bench/run.sh [DOCUMENTS] (default 100000). Record results in
# docs/BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
docs="${1:-100000}"
work="${BENCH_WORK:-$root/bench/target/prep-bench}"
tokenizer="$root/assets/tokenizers/qwen3"
rm -rf "$work"; mkdir -p "$work"
source "$root/bench/bench-env.sh" "$work"
bench() { OMP_WAIT_POLICY=PASSIVE java -Xmx6g $flags -cp "$cp" dev.sparktune.bench.PrepBenchmark "$@"; }
bench generate "$work" "$docs"
"$py" scripts/bench/prep_reference.py "$work/data/alpaca_like.jsonl" "$tokenizer" "$(nproc)" > "$work/python.json"
bench run "$work" "$tokenizer" "$work/python.json" 2> "$work/spark.log"
