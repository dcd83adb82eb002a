"""Summary of bench/collectives.sh: per rank count and size, each implementation's median bus bandwidth over the
repeats (with min-max) and CPU seconds per rank per all-reduce, and the ratio of the medians (ours / gloo), as a
Markdown table for docs/BENCHMARKS.md.

Usage: allreduce_summary.py RESULTS.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    runs = defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                r = json.loads(line)
                runs[(r["ranks"], r["bytes"], r["impl"])].append(r)
    print("| ranks | MB | SparkTune ring GB/s median (min-max) | gloo GB/s median (min-max) | ratio of medians "
          "| CPU ms per rank per all-reduce, ring / gloo |")
    print("|---|---|---|---|---|---|")
    for ranks, nbytes in sorted({(k[0], k[1]) for k in runs}):
        ours = runs[(ranks, nbytes, "sparktune-tcp-ring")]
        gloo = runs[(ranks, nbytes, "torch-gloo")]
        if not ours or not gloo:
            continue

        def bw(rs):
            v = [r["busGBps"] for r in rs]
            return statistics.median(v), min(v), max(v)

        def cpu_ms(rs):
            return statistics.median(r["cpuSecondsPerRank"] for r in rs) * 1e3

        o, g = bw(ours), bw(gloo)
        print(f"| {ranks} | {nbytes / (1 << 20):g} | {o[0]:.2f} ({o[1]:.2f}-{o[2]:.2f}) | {g[0]:.2f} ({g[1]:.2f}-{g[2]:.2f}) "
              f"| {o[0] / g[0]:.2f}x | {cpu_ms(ours):.1f} / {cpu_ms(gloo):.1f} |")
    print(f"({len(next(iter(runs.values())))} repeats per cell, ring and gloo alternating)")


if __name__ == "__main__":
    main(sys.argv[1])
