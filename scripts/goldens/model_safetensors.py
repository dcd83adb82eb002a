#!/usr/bin/env python3
"""Writes safetensors/config fixtures for dl4j-ext's IO tests with the reference stack (safetensors + transformers).

Usage: model_safetensors.py OUT_DIR   (checked-in copy: dl4j-ext/src/test/resources/goldens/hf)
       model_safetensors.py --verify DIR REF_DIR
         loads DIR (written by our SafetensorsWriter + HfConfigWriter) and REF_DIR with transformers' from_pretrained
         and fails unless both load as the same class, give bit-identical logits on a fixed input and every tensor
         of the state dicts is bit-identical; prints "verified N tensors"
       model_safetensors.py --logits DIR ID,ID,...
         prints transformers' fp32 logits (eager attention) of DIR for one sequence of token ids as a JSON list
  OUT_DIR/dtypes.safetensors        the same values stored as F32, F16 and BF16, their exact fp32 expansions
                                    (*_as_f32), and an I64 tensor (must be refused as a weight)
  OUT_DIR/<family>/                 a tiny random model per family saved by save_pretrained, sharded into several
                                    files with model.safetensors.index.json: config.json as transformers 5 writes it
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
import transformers

from fixture_models import FAMILIES, load_eager


def tiny(family):
    common = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-5,
                  initializer_range=0.25)  # large weights: attention scores and RoPE matter in the model goldens
    if family == "llama":
        return transformers.LlamaForCausalLM(transformers.LlamaConfig(
            **common, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                    "high_freq_factor": 4.0, "original_max_position_embeddings": 16},
            rope_theta=500000.0, tie_word_embeddings=False))
    if family == "qwen2":
        return transformers.Qwen2ForCausalLM(transformers.Qwen2Config(**common, tie_word_embeddings=True))
    if family == "qwen3":
        return transformers.Qwen3ForCausalLM(transformers.Qwen3Config(**common, head_dim=12, tie_word_embeddings=True))
    if family == "mistral":
        return transformers.MistralForCausalLM(transformers.MistralConfig(**common, sliding_window=5))
    if family == "phi3":
        # Phi-4-mini's shape of settings: longrope (short factors while positions stay under the pre-training
        # length; max/original = 4 makes the attention factor != 1), 3/4 of each head rotated, tied embeddings; and
        # Phi-3-mini-4k's sliding window. pad_token_id 35, a token of the goldens' batches: its embedding row gets no
        # gradient from the lookup
        return transformers.Phi3ForCausalLM(transformers.Phi3Config(
            **{**common, "max_position_embeddings": 256}, original_max_position_embeddings=64,
            partial_rotary_factor=0.75, rope_scaling={"type": "longrope", "short_factor": [1.0, 1.5, 2.5],
                                                      "long_factor": [2.0, 3.0, 5.0]},
            sliding_window=5, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=35))
    if family == "gemma3":
        # Gemma 3's shape of settings on a tiny scale: a sliding layer then a global one, a window shorter than the
        # goldens' documents, head_dim != hidden / heads, query_pre_attn_scalar != head_dim, a local rope base and a
        # linear-scaled global rope (Gemma-3 4B+), tied embeddings, pad token 0
        model = transformers.Gemma3ForCausalLM(transformers.Gemma3TextConfig(
            **common, head_dim=12, query_pre_attn_scalar=10, sliding_window=3,
            layer_types=["sliding_attention", "full_attention"], rope_theta=20000.0, rope_local_base_freq=500.0,
            rope_scaling={"rope_type": "linear", "factor": 2.0}, pad_token_id=0, bos_token_id=2, eos_token_id=1))
        with torch.no_grad():  # transformers starts the norms' weights at 0 (scale 1 + w): make the weights matter
            for name, p in model.named_parameters():
                if "norm" in name:
                    p.normal_(0.0, 0.3)
        return model
    if family == "qwen3_moe":
        # Qwen3-30B-A3B's shape of settings on a tiny scale: 4 experts, 2 per token, renormalised (norm_topk_prob),
        # a dense first layer (mlp_only_layers) then a sparse one, q/k norms, head_dim != hidden / heads, untied
        model = transformers.Qwen3MoeForCausalLM(transformers.Qwen3MoeConfig(
            **common, head_dim=12, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
            norm_topk_prob=True, mlp_only_layers=[0], tie_word_embeddings=False))
        # a router under which every expert gets tokens of the goldens' batch in each of model_train.py's steps, the
        # 2nd and 3rd probabilities at least 7e-3 apart: an expert without tokens has a router row whose gradient is
        # rounding noise (norm_topk_prob cancels it exactly), which AdamW turns into lr-sized steps
        with torch.no_grad():
            model.model.layers[1].mlp.gate.weight.normal_(0.0, 0.25, generator=torch.Generator().manual_seed(1))
        return model
    raise ValueError(family)


def verify(ours, ref):
    ma = transformers.AutoModelForCausalLM.from_pretrained(ours, dtype=torch.float32)
    mb = transformers.AutoModelForCausalLM.from_pretrained(ref, dtype=torch.float32)
    if type(ma) is not type(mb):
        sys.exit(f"loaded as {type(ma).__name__}, reference is {type(mb).__name__}")
    ids = torch.arange(12).remainder(ma.config.get_text_config().vocab_size)[None]
    with torch.no_grad():
        la, lb = ma(input_ids=ids).logits, mb(input_ids=ids).logits
    if not torch.equal(la, lb):
        sys.exit(f"logits differ: max |diff| {(la - lb).abs().max().item()}")
    a, b = ma.state_dict(), mb.state_dict()
    if a.keys() != b.keys():
        sys.exit(f"different tensors: {sorted(set(a) ^ set(b))}")
    for k in a:
        if not torch.equal(a[k], b[k]):
            sys.exit(f"{k} differs: max |diff| {(a[k] - b[k]).abs().max().item()}")
    print("verified", len(a), "tensors")


def main():
    if sys.argv[1] == "--logits":
        import json
        model = load_eager(sys.argv[2])
        ids = torch.tensor([[int(x) for x in sys.argv[3].split(",")]])
        with torch.no_grad():
            print(json.dumps(model(input_ids=ids).logits[0].tolist()))
        return
    if sys.argv[1] == "--verify":
        verify(sys.argv[2], sys.argv[3])
        return
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(3, 5, generator=g) * 3
    tensors = {
        "f32": x.contiguous(),
        "f16": x.half().contiguous(),
        "bf16": x.bfloat16().contiguous(),
        "f16_as_f32": x.half().float().contiguous(),
        "bf16_as_f32": x.bfloat16().float().contiguous(),
        "i64": torch.arange(4, dtype=torch.int64),
        "scalar": torch.tensor(2.5),
    }
    save_file(tensors, str(out / "dtypes.safetensors"), metadata={"writer": "python-safetensors"})
    for family in FAMILIES:
        torch.manual_seed(7)
        model = tiny(family)
        model.save_pretrained(out / family, max_shard_size="20KB", safe_serialization=True)
    print("ok", out)


if __name__ == "__main__":
    main()
