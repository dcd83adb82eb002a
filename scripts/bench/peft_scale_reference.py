"""Reference for the scale-ladder benchmark (issue "Real model sizes"): training steps of a Hugging Face checkpoint
(one made by make_scale_checkpoint.py) with PEFT LoRA r 8, alpha 16, dropout 0 on q/k/v/o/gate/up/down, or full
fine-tuning with --full, on the CPU in fp32.

Attention is transformers' default, sdpa (torch.nn.functional.scaled_dot_product_attention); the run stops if the
loaded model reports anything else. --gradient-checkpointing enables it as LLaMA-Factory does for LoRA:
gradient_checkpointing_enable, use_cache off, and enable_input_require_grads so the checkpointed blocks see an input
that needs a gradient while the embedding is frozen. It is non-reentrant (use_reentrant False, transformers' default);
LLaMA-Factory itself defaults to reentrant (use_reentrant_gc True).

Each row is one document of exactly SEQ random tokens, every token supervised (labels = input_ids); ROWS rows make one
forward/backward per step. A step is forward, backward, gradient clipping to 1.0 (the HF Trainer default), AdamW
(lr 1e-4, no weight decay) and zeroing the gradients. WARMUP steps run first and are not timed into step_s.

Usage: peft_scale_reference.py MODEL_DIR --rows R --seq T --steps S [--warmup W] [--gradient-checkpointing]
                               [--threads 2] [--full]
Prints one JSON line on stdout and the same as a markdown table row on stderr.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
from transformers import AutoModelForCausalLM

from torch_train_step import train_step

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def rss_gb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2**20
    raise RuntimeError("no VmRSS line in /proc/self/status")


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def load_fp32(model_dir):
    """The checkpoint in fp32 with transformers' default attention, and the seconds from_pretrained took."""
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    load_s = time.perf_counter() - t0
    attn = model.config._attn_implementation
    if attn != "sdpa":
        raise SystemExit(f"{model_dir} loaded with attention '{attn}'; this reference is documented as sdpa")
    return model, load_s


def load(model_dir, full, checkpointing):
    model, load_s = load_fp32(model_dir)
    model.config.use_cache = False
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if not full:
        from peft import LoraConfig, get_peft_model
        if checkpointing:
            model.enable_input_require_grads()
        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=LORA_TARGETS))
    model.train()
    return model, load_s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seq", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--gradient-checkpointing", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    for name in ("rows", "seq", "steps", "threads"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.warmup < 0:
        ap.error(f"--warmup must be at least 0, got {args.warmup}")

    torch.set_num_threads(args.threads)
    model, load_s = load(args.model_dir, args.full, args.gradient_checkpointing)
    rss_after_load = rss_gb()
    vocab = model.config.vocab_size
    trained = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trained, lr=1e-4, weight_decay=0.0)
    g = torch.Generator().manual_seed(7)
    times = []
    for s in range(args.warmup + args.steps):
        ids = torch.randint(0, vocab, (args.rows, args.seq), generator=g)  # (R, T)
        t0 = time.perf_counter()
        train_step(model, ids, trained, opt)
        if s >= args.warmup:
            times.append(time.perf_counter() - t0)

    step_s = statistics.median(times)
    mode = "full" if args.full else "lora"
    result = {
        "load_s": round(load_s, 3),
        "peak_rss_gb": round(peak_rss_gb(), 3),
        "rss_after_load_gb": round(rss_after_load, 3),
        "step_s": round(step_s, 3),
        "step_s_all": [round(t, 3) for t in times],
        "tokens_per_s": round(args.rows * args.seq / step_s, 1),
        "rows": args.rows,
        "seq": args.seq,
        "threads": args.threads,
        "gradient_checkpointing": args.gradient_checkpointing,
        "mode": mode,
    }
    print(json.dumps(result), flush=True)
    what = "full fine-tuning" if args.full else f"PEFT {__import__('peft').__version__} LoRA r 8, all linear"
    gc = "on" if args.gradient_checkpointing else "off"
    print(f"| torch {torch.__version__} + transformers {__import__('transformers').__version__} {what}, sdpa, "
          f"GC {gc}, {args.threads} threads | {args.rows} x {args.seq} | {result['load_s']:.1f} | {step_s:.2f} "
          f"| {result['tokens_per_s']:.0f} | {result['rss_after_load_gb']:.2f} | {result['peak_rss_gb']:.2f} |",
          file=sys.stderr)


if __name__ == "__main__":
    main()
