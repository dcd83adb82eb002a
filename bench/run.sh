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
cd "$root"
mvn -q -B -o -Pbench install -DskipTests -pl bench -am
mvn -q -B -o -Pbench dependency:build-classpath -pl bench -Dmdep.outputFile="$work/cp.txt" >/dev/null
flags="$(sed -n 's/^sparktune\.jvm\.flags=//p' conf/jvm.properties)"
cp="$root/bench/target/classes:$(cat "$work/cp.txt")"
bench() { OMP_WAIT_POLICY=PASSIVE java -Xmx6g $flags -cp "$cp" dev.sparktune.bench.PrepBenchmark "$@"; }
bench generate "$work" "$docs"
py="$(scripts/reference-env.sh)"
"$py" scripts/bench/prep_reference.py "$work/data/alpaca_like.jsonl" "$tokenizer" "$(nproc)" > "$work/python.json"
bench run "$work" "$tokenizer" "$work/python.json" 2> "$work/spark.log"
