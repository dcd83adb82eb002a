"""Writes a random-weight Qwen3 checkpoint with a published config, laid out as the Hugging Face hub ships it, for
the scale-ladder benchmark (issue "Real model sizes"). Made at bench time, never committed.

The directory holds config.json and generation_config.json with the hub's contents (transformers 4.51 layout:
rope_theta and torch_dtype at top level, which is what a user downloads today), bf16 safetensors split into exactly
--shards files with model.safetensors.index.json, and the Qwen3 tokenizer files from assets/tokenizers/qwen3.
Weights: normal(0, 0.02) for every matrix, ones for every norm; the embedding is tied to the LM head as published.

The model is built on the meta device and allocated straight in bf16, so peak memory stays near the bf16 size
(about 8 GB for qwen3-4b) instead of the fp32 model plus a bf16 copy.

Usage: make_scale_checkpoint.py SHAPE OUT_DIR [--shards 3] [--seed 0]   (SHAPE: tiny, qwen3-0.6b, qwen3-1.7b, qwen3-4b)
Prints one JSON line: dir, params, shards, seconds, peak_rss_gb.
"""
import argparse
import json
import resource
import shutil
import time
from pathlib import Path

import torch
from huggingface_hub import split_torch_state_dict_into_shards
from transformers import Qwen3Config, Qwen3ForCausalLM

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER_DIR = ROOT / "assets" / "tokenizers" / "qwen3"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")

# Geometry of each published model (huggingface.co/Qwen/<name>/blob/main/config.json); tiny keeps the full
# vocabulary so the embedding and LM head have the real row count.
SHAPES = {
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16),
    "qwen3-0.6b": dict(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16,
                       num_key_value_heads=8, head_dim=128),
    "qwen3-1.7b": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28, num_attention_heads=16,
                       num_key_value_heads=8, head_dim=128),
    "qwen3-4b": dict(hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
                     num_key_value_heads=8, head_dim=128),
}

# generation_config.json of every Qwen3 dense model on the hub (the thinking-mode sampling defaults).
GENERATION_CONFIG = {
    "bos_token_id": 151643,
    "do_sample": True,
    "eos_token_id": [151645, 151643],
    "pad_token_id": 151643,
    "temperature": 0.6,
    "top_k": 20,
    "top_p": 0.95,
    "transformers_version": "4.51.0",
}


def hub_config(shape):
    """The config.json the hub ships for this shape: every key the published file has, with its value."""
    g = SHAPES[shape]
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "head_dim": g["head_dim"],
        "hidden_act": "silu",
        "hidden_size": g["hidden_size"],
        "initializer_range": 0.02,
        "intermediate_size": g["intermediate_size"],
        "max_position_embeddings": 40960,
        "max_window_layers": g["num_hidden_layers"],
        "model_type": "qwen3",
        "num_attention_heads": g["num_attention_heads"],
        "num_hidden_layers": g["num_hidden_layers"],
        "num_key_value_heads": g["num_key_value_heads"],
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000,
        "sliding_window": None,
        "tie_word_embeddings": True,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.51.0",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": 151936,
    }


def build_bf16(config, seed):
    # Meta first: nothing is allocated until to_empty, which allocates the bf16 tensors once.
    with torch.device("meta"):
        model = Qwen3ForCausalLM(config)
    model = model.to(torch.bfloat16)
    model.to_empty(device="cpu")
    # to_empty gives the LM head its own storage; re-tie so the head is the embedding, as published.
    model.tie_weights()
    if model.lm_head.weight is not model.model.embed_tokens.weight:
        raise RuntimeError("lm_head.weight is not tied to model.embed_tokens.weight after tie_weights()")
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim == 2:
                p.normal_(0.0, 0.02, generator=g)
            else:
                p.fill_(1.0)
    # The rotary inv_freq buffers are left unset by to_empty; they are non-persistent, so never saved.
    return model


def shard_size_for(model, shards):
    """The smallest max_shard_size for which save_pretrained's greedy split gives at most `shards` files.

    save_pretrained cuts a new shard whenever the next tensor would overflow, and gives a tensor larger than the
    limit a file of its own (the 151,936-row embedding, when the limit is small), so total / shards alone rarely
    gives exactly that many files. The split is computed here the way save_pretrained computes it (tied LM head
    dropped) and the size searched.
    """
    state = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}

    def count(size):
        return len(split_torch_state_dict_into_shards(state, max_shard_size=size).filename_to_tensors)

    lo, hi = 1, sum(v.numel() * v.element_size() for v in state.values())
    while lo < hi:
        mid = (lo + hi) // 2
        if count(mid) <= shards:
            hi = mid
        else:
            lo = mid + 1
    if count(lo) != shards:
        raise SystemExit(f"cannot split {len(state)} tensors into exactly {shards} shards with save_pretrained's "
                         f"greedy split; {count(lo)} is the closest; choose another --shards")
    return lo


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shape", choices=sorted(SHAPES))
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.shards < 1:
        ap.error(f"--shards must be at least 1, got {args.shards}")

    t0 = time.perf_counter()
    published = hub_config(args.shape)
    model = build_bf16(Qwen3Config.from_dict(published), args.seed)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    # A weight set from an earlier run with another shard count would otherwise sit beside this one.
    for stale in [*args.out_dir.glob("model*.safetensors"), args.out_dir / "model.safetensors.index.json"]:
        stale.unlink(missing_ok=True)
    model.save_pretrained(args.out_dir, max_shard_size=shard_size_for(model, args.shards))
    # save_pretrained writes the transformers 5 layout; the hub files are the published ones, so those replace it.
    (args.out_dir / "config.json").write_text(json.dumps(published, indent=2, sort_keys=True) + "\n")
    (args.out_dir / "generation_config.json").write_text(json.dumps(GENERATION_CONFIG, indent=2, sort_keys=True) + "\n")
    for name in TOKENIZER_FILES:
        shutil.copyfile(TOKENIZER_DIR / name, args.out_dir / name)

    written = sorted(args.out_dir.glob("model*.safetensors"))
    if len(written) != args.shards:
        raise SystemExit(f"{args.out_dir} holds {len(written)} safetensors files, expected {args.shards}: "
                         f"{[p.name for p in written]}")
    print(json.dumps({
        "dir": str(args.out_dir),
        "params": model.num_parameters(),
        "shards": len(written),
        "seconds": round(time.perf_counter() - t0, 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
    }))


if __name__ == "__main__":
    main()
