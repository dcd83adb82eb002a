"""Reference load time for the scale-ladder benchmark (issue "Real model sizes"): how long
AutoModelForCausalLM.from_pretrained(MODEL_DIR, dtype=torch.float32) takes on a checkpoint made by
make_scale_checkpoint.py (bf16 safetensors, so the load includes the bf16 -> fp32 cast).

Each repeat runs in a fresh process (this script re-run with --child), so no repeat finds the weights already in the
Python heap; the page cache stays warm after the first, as it would for the trainer's own repeated loads.

Usage: load_reference.py MODEL_DIR [--repeats 3] [--threads 2]
Prints one JSON line: load_s (median), load_s_all, peak_rss_gb (largest over the repeats), repeats, threads.
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def child(model_dir, threads):
    import torch
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    load_s = time.perf_counter() - t0
    print(json.dumps({"load_s": load_s, "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.model_dir, args.threads)
        return
    if args.repeats < 1:
        ap.error(f"--repeats must be at least 1, got {args.repeats}")

    runs = []
    for _ in range(args.repeats):
        out = subprocess.run([sys.executable, __file__, args.model_dir, "--child", "--threads", str(args.threads)],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    times = [r["load_s"] for r in runs]
    print(json.dumps({
        "load_s": round(statistics.median(times), 3),
        "load_s_all": [round(t, 3) for t in times],
        "peak_rss_gb": round(max(r["peak_rss_gb"] for r in runs), 3),
        "repeats": args.repeats,
        "threads": args.threads,
    }))


if __name__ == "__main__":
    main()
