#!/usr/bin/env bash
# Model load time: HfModelDir.open(dir).load into one flat FLOAT buffer and into a BFLOAT16 one (SparkTune), each in a
# fresh JVM, beside transformers' from_pretrained(dtype=float32) of the same directory, with load time, steady and
# peak RSS per run. Every side runs twice: with the default malloc, and with transparent huge pages for large
# allocations (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), because first touching fresh memory is most of a load on a VM
# (3-6 s/GiB in 4 KiB pages measured here).
# Usage: bench/load.sh MODEL_DIR [REPEATS]   (default 3; the shards are read once first so that every run finds them
# in the page cache). Run it alone: a load holds the whole model in memory. Record results in docs/BENCHMARKS.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: bench/load.sh MODEL_DIR [REPEATS]" >&2; exit 2; }
dir="$(cd "$1" && pwd)"
repeats="${2:-3}"
work="$root/bench/target/load-bench"
mkdir -p "$work"
source "$root/bench/bench-env.sh" "$work"
cat "$dir"/*.safetensors >/dev/null

# JavaCPP refuses every native allocation once the RSS passes 4 x -Xmx (its default maxPhysicalBytes); the loader
# needs little heap, so the limit is lifted instead of sizing the heap to the model.
ours() {
  GLIBC_TUNABLES="$1" OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE java -Xmx1g \
    -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 $flags -cp "$cp" dev.sparktune.bench.LoadBenchmark "$dir" "$2"
}
summary() {
  "$py" -c 'import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
out = {"load_s": round(statistics.median(r["load_s"] for r in runs), 3), "load_s_all": [r["load_s"] for r in runs],
       "peak_rss_gb": round(max(r["peak_rss_gb"] for r in runs), 3)}
if "peak_over_steady_gb" in runs[0]:
    out["peak_over_steady_gb"] = max(r["peak_over_steady_gb"] for r in runs)
print(json.dumps(out))' "$1"
}
# Each repeat runs the three loads back to back, so that all see the same state of the host's memory.
for tunables in "" "glibc.malloc.hugetlb=1"; do
  echo "== GLIBC_TUNABLES=${tunables:-(unset)}"
  : >"$work/FLOAT.jsonl"; : >"$work/BFLOAT16.jsonl"; : >"$work/transformers.jsonl"
  for r in $(seq "$repeats"); do
    for dtype in FLOAT BFLOAT16; do
      ours "$tunables" "$dtype" 2>>"$work/java.log" | tee -a "$work/$dtype.jsonl" | sed "s/^/  $r sparktune: /"
    done
    GLIBC_TUNABLES="$tunables" "$py" scripts/bench/load_reference.py "$dir" --repeats 1 --threads 2 \
      2>>"$work/reference.log" | tee -a "$work/transformers.jsonl" | sed "s/^/  $r transformers: /"
  done
  for side in FLOAT BFLOAT16; do echo "sparktune $side: $(summary "$work/$side.jsonl")"; done
  echo "transformers FLOAT: $(summary "$work/transformers.jsonl")"
done
