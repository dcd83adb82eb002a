#!/usr/bin/env python3
"""Gemma 3 4B+ checkpoints (Gemma3ForConditionalGeneration), whose text model we train: a tiny fixture and the checks
that transformers and PEFT accept what we write for one.

Usage: gemma3_multimodal.py HF_DIR   (checked-in copy: dl4j-ext/src/test/resources/goldens/hf)
         writes HF_DIR/gemma3_vlm: a Gemma3ForConditionalGeneration whose text model is the gemma3 fixture
         (HF_DIR/gemma3, same config and weights), with a tiny SigLIP vision tower without a head and a projector as
         Gemma 3's, saved by save_pretrained sharded into several files
       gemma3_multimodal.py --text-config CONFIG_JSON
         prints the text model's settings transformers reads from a Gemma3ForConditionalGeneration config.json (its
         text_config over Gemma3TextConfig's defaults; token ids as generation reads them) as JSON
       gemma3_multimodal.py --check-export BASE_DIR ADAPTER_DIR EXPORT_DIR ID,ID,...
         fails unless PEFT puts ADAPTER_DIR's adapters on exactly the text model's modules of BASE_DIR with the
         file's values, EXPORT_DIR loads as Gemma3ForConditionalGeneration, and its vision tower and projector are
         bit-identical to BASE_DIR's; prints {"peft": logits with the adapter, "export": EXPORT_DIR's logits} as JSON
       gemma3_multimodal.py --generate MODEL_DIR ID,ID,... STEPS
         greedy generation on the text of MODEL_DIR (a Gemma3ForConditionalGeneration) by transformers' generate()
         with its KV cache, no stop token; prints {"greedy": the new tokens, "logits": each step's last logits}
"""
import json
import sys
from pathlib import Path

import peft
import torch
import transformers
from safetensors.torch import load_file

from fixture_models import load_eager

OTHER_PARTS = ("model.vision_tower.", "model.multi_modal_projector.")


def write_fixture(hf_dir):
    text = load_eager(hf_dir / "gemma3")
    vision = dict(hidden_size=16, intermediate_size=24, num_hidden_layers=1, num_attention_heads=2, image_size=28,
                  patch_size=14, vision_use_head=False)  # Gemma 3's SigLIP has no pooling head
    text_settings = {k: v for k, v in text.config.to_dict().items() if k not in ("_name_or_path", "architectures")}
    config = transformers.Gemma3Config(text_config=text_settings, vision_config=vision, mm_tokens_per_image=4,
                                       boi_token_index=60, eoi_token_index=61, image_token_index=62,
                                       eos_token_id=[1, 63], bos_token_id=2, pad_token_id=0)
    torch.manual_seed(11)
    model = transformers.Gemma3ForConditionalGeneration(config).eval()
    with torch.no_grad():
        for name, p in model.model.language_model.named_parameters():
            p.copy_(text.model.get_parameter(name))
        for name, p in model.named_parameters():  # norms start at 0 or 1: make every vision weight matter
            if name.startswith(OTHER_PARTS):
                p.normal_(0.0, 0.3)
    model.save_pretrained(hf_dir / "gemma3_vlm", max_shard_size="20KB", safe_serialization=True)
    print("ok", hf_dir / "gemma3_vlm")


def text_config(path):
    config = transformers.Gemma3Config.from_dict(json.loads(Path(path).read_text()))
    t = config.text_config
    rope = {kind: {k: v for k, v in params.items()} for kind, params in t.rope_parameters.items()}
    print(json.dumps({
        "vocab_size": t.vocab_size, "hidden_size": t.hidden_size, "intermediate_size": t.intermediate_size,
        "num_hidden_layers": t.num_hidden_layers, "num_attention_heads": t.num_attention_heads,
        "num_key_value_heads": t.num_key_value_heads, "head_dim": t.head_dim, "rms_norm_eps": t.rms_norm_eps,
        "max_position_embeddings": t.max_position_embeddings, "sliding_window": t.sliding_window,
        "layer_types": t.layer_types, "query_pre_attn_scalar": t.query_pre_attn_scalar,
        "tie_word_embeddings": config.tie_word_embeddings, "rope_parameters": rope,
        "eos_token_id": transformers.GenerationConfig.from_model_config(config).eos_token_id,
        "bos_token_id": config.bos_token_id if hasattr(config, "bos_token_id") else t.bos_token_id,
    }))


def check_export(base_dir, adapter_dir, export_dir, ids):
    base = load_eager(base_dir)
    if type(base) is not transformers.Gemma3ForConditionalGeneration:
        sys.exit(f"{base_dir} loads as {type(base).__name__}")
    vision = {k: v.clone() for k, v in base.state_dict().items() if k.startswith(OTHER_PARTS)}
    model = peft.PeftModel.from_pretrained(base, adapter_dir)
    adapted = sorted(n for n, m in model.named_modules() if isinstance(m, peft.tuners.lora.LoraLayer))
    outside = [n for n in adapted if ".language_model.layers." not in n]
    if outside or not adapted:
        sys.exit(f"PEFT put adapters outside the text model's layers: {outside or 'none at all'}")
    stored = load_file(str(Path(adapter_dir) / "adapter_model.safetensors"))
    loaded = {k: v for k, v in peft.get_peft_model_state_dict(model).items()}
    if stored.keys() != loaded.keys():
        sys.exit(f"adapter tensors differ from PEFT's: {sorted(set(stored) ^ set(loaded))}")
    for k in stored:
        if not torch.equal(stored[k], loaded[k]):
            sys.exit(f"{k}: PEFT loaded other values")
    exported = load_eager(export_dir)
    if type(exported) is not transformers.Gemma3ForConditionalGeneration:
        sys.exit(f"{export_dir} loads as {type(exported).__name__}")
    state = exported.state_dict()
    for k, v in vision.items():
        if not torch.equal(state[k], v):
            sys.exit(f"{k} changed in the export")
    input_ids = torch.tensor([ids])
    with torch.no_grad():
        print(json.dumps({"peft": model(input_ids=input_ids).logits[0].tolist(),
                          "export": exported(input_ids=input_ids).logits[0].tolist()}))


def generate(model_dir, prompt, steps):
    model = load_eager(model_dir)
    if type(model) is not transformers.Gemma3ForConditionalGeneration:
        sys.exit(f"{model_dir} loads as {type(model).__name__}")
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=steps,
                             min_new_tokens=steps, eos_token_id=None, pad_token_id=0, output_logits=True,
                             return_dict_in_generate=True)
    print(json.dumps({"greedy": out.sequences[0, len(prompt):].tolist(),
                      "logits": [step[0].tolist() for step in out.logits]}))


def main():
    if sys.argv[1] == "--text-config":
        text_config(sys.argv[2])
    elif sys.argv[1] == "--generate":
        generate(sys.argv[2], [int(x) for x in sys.argv[3].split(",")], int(sys.argv[4]))
    elif sys.argv[1] == "--check-export":
        check_export(sys.argv[2], sys.argv[3], sys.argv[4], [int(x) for x in sys.argv[5].split(",")])
    else:
        write_fixture(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
