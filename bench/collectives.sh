#!/usr/bin/env bash
# All-reduce bus bandwidth: SparkTune's TcpRingCollective (one JVM per rank) vs torch.distributed gloo (one process per
# rank) on loopback, same machine, same sizes, in one run. The two alternate REPEATS times (default 3; this machine's
# runs of the same code vary 10-30%) and a summary gives each side's median with the ratio of medians.
# Usage: [REPEATS=N] bench/collectives.sh [RANKS...] (default 2 4). Record results in docs/BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${BENCH_WORK:-$root/bench/target/collective-bench}"
repeats="${REPEATS:-3}"
sizes=(1 16 64 256)
ranks=(2 4)
[ $# -gt 0 ] && ranks=("$@")
rm -rf "$work"; mkdir -p "$work"
source "$root/bench/bench-env.sh" "$work"
results="$work/results.jsonl"
for ((rep = 1; rep <= repeats; rep++)); do
  for n in "${ranks[@]}"; do
    dir="$work/ring-$n-$rep"; mkdir -p "$dir"
    head -c 32 /dev/urandom > "$dir/secret"
    pids=()
    for ((r = 0; r < n; r++)); do
      OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE java -Xmx2g $flags -cp "$cp" dev.sparktune.bench.CollectiveBenchmark \
        "$dir" "$r" "$n" "${sizes[@]}" > "$dir/rank-$r.out" 2> "$dir/rank-$r.err" &
      pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    tee -a "$results" < "$dir/rank-0.out"
    OMP_NUM_THREADS=1 "$py" scripts/bench/allreduce_gloo.py "$n" "${sizes[@]}" | tee -a "$results"
  done
done
"$py" scripts/bench/allreduce_summary.py "$results"
