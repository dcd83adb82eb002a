#!/usr/bin/env python3
"""Training-curve references for the fine-tuning types beside full: freeze (LLaMA-Factory's parameter selection,
torch requires_grad=False on the rest) and LoRA+ (PEFT LoRA with LLaMA-Factory's LoRA+ optimizer groups: lora_B at
loraplus_lr_ratio x lr). Same batch, schedule, clipping and AdamW as model_train.py.

Usage: model_train_variants.py HF_FIXTURES_DIR OUT_FILE
  OUT_FILE (checked-in copy: dl4j-ext/src/test/resources/goldens/model_train_variants.safetensors):
  "<case>/final/<param>" after the last step (freeze: every model parameter; lora: the adapters under PEFT's saved
  names), "<case>/init/<param>" the adapters' starting values (lora); metadata "spec": hyper-parameters and per case
  its settings, trainable parameter names, loss curve and pre-clip gradient norms.
"""
import json
import re
import sys
from pathlib import Path

import peft
import torch
import transformers
from safetensors.torch import save_file

from fixture_models import load_eager
from model_train import STEPS, WARMUP, LR, WD, MAX_NORM, BETAS, EPS, DOC_LENS, SEQ_LEN, batch, train

FREEZE_CASES = {  # case: (fixture, freeze_trainable_layers, freeze_trainable_modules, freeze_extra_modules)
    "freeze_llama_last_layer": ("llama", 1, ["all"], ["lm_head"]),
    "freeze_qwen3_first_mlp_and_norms": ("qwen3", -1, ["mlp"], ["norm"]),
}
LORAPLUS_CASES = {  # case: (fixture, r, alpha, lr, loraplus_lr_ratio): lora_B at 0.16, a large but sane step
    "loraplus_qwen3": ("qwen3", 4, 8, 1e-2, 16.0),
}


def lf_freeze_selection(model, layers, modules, extra):
    """LLaMA-Factory's _setup_freeze_tuning (src/llamafactory/model/adapter.py) selection rule, for reference."""
    num_layers = model.config.num_hidden_layers
    ids = range(max(0, num_layers - layers), num_layers) if layers > 0 else range(min(-layers, num_layers))
    hidden, non_hidden = set(), set()
    for name, _ in model.named_parameters():
        if ".0." in name:
            hidden.add(name.split(".0.")[-1].split(".")[0])
        elif ".1." in name:
            hidden.add(name.split(".1.")[-1].split(".")[0])
        if re.search(r"\.\d+\.", name) is None:
            non_hidden.add(name.split(".")[-2])
    patterns = []
    for module in modules:
        assert module == "all" or module in hidden, module
        patterns += [".{:d}.{}".format(i, "" if module == "all" else module) for i in ids]
    for module in extra:
        assert module in non_hidden, module
        patterns.append(module)
    return [name for name, _ in model.named_parameters() if any(p in name for p in patterns)]


def supervised_count(labels):
    return sum(int((labels[b, s + 1:s + n] != -100).sum()) for b, lens in enumerate(DOC_LENS)
               for s, n in zip([sum(lens[:i]) for i in range(len(lens))], lens))


def main():
    src, out = Path(sys.argv[1]), sys.argv[2]
    tensors, cases = {}, {}
    for case, (fixture, layers, modules, extra) in FREEZE_CASES.items():
        model = load_eager(src / fixture)
        trainable = lf_freeze_selection(model, layers, modules, extra)
        for name, p in model.named_parameters():
            p.requires_grad_(name in trainable)
        params = [p for p in model.parameters() if p.requires_grad]
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        groups = [{"params": [p for _, p in named if p.dim() >= 2], "weight_decay": WD},
                  {"params": [p for _, p in named if p.dim() < 2], "weight_decay": 0.0}]
        ids, labels = batch(model.config.vocab_size)
        token_count = supervised_count(labels) + 5
        losses, norms = train(model, params, groups, token_count, ids, labels)
        for name, p in model.named_parameters():
            tensors[f"{case}/final/{name}"] = p.detach().contiguous().clone()
        cases[case] = {"fixture": fixture, "freeze_trainable_layers": layers,
                       "freeze_trainable_modules": ",".join(modules), "freeze_extra_modules": ",".join(extra),
                       "trainable": trainable, "losses": losses, "norms": norms,
                       "input_ids": ids.reshape(-1).tolist(), "labels": labels.reshape(-1).tolist(),
                       "token_count": token_count}
    for case, (fixture, r, alpha, lr, ratio) in LORAPLUS_CASES.items():
        torch.manual_seed(11)
        model = peft.get_peft_model(load_eager(src / fixture), peft.LoraConfig(
            r=r, lora_alpha=alpha, target_modules="all-linear", lora_dropout=0.0, task_type="CAUSAL_LM"))
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_" in name:
                    p.copy_(torch.randn_like(p) * 0.3)  # PEFT inits B = 0: make both matrices move from step 0
        named = [(n.replace(".default", ""), p) for n, p in model.named_parameters() if p.requires_grad]
        for name, p in named:
            tensors[f"{case}/init/{name}"] = p.detach().contiguous().clone()
        # LLaMA-Factory's _create_loraplus_optimizer groups: lora_A at lr, lora_B at lr x ratio, both decayed
        groups = [{"params": [p for n, p in named if "lora_B" not in n], "lr": lr, "weight_decay": WD},
                  {"params": [p for n, p in named if "lora_B" in n], "lr": lr * ratio, "weight_decay": WD}]
        ids, labels = batch(model.config.vocab_size)
        token_count = supervised_count(labels) + 5
        losses, norms = train(model, [p for _, p in named], groups, token_count, ids, labels, lr)
        for name, p in named:
            tensors[f"{case}/final/{name}"] = p.detach().contiguous().clone()
        cases[case] = {"fixture": fixture, "lora_rank": r, "lora_alpha": alpha, "lr": lr, "loraplus_lr_ratio": ratio,
                       "trainable": [n for n, _ in named], "losses": losses, "norms": norms,
                       "input_ids": ids.reshape(-1).tolist(), "labels": labels.reshape(-1).tolist(),
                       "token_count": token_count}
    spec = {"steps": STEPS, "warmup": WARMUP, "lr": LR, "weight_decay": WD, "max_norm": MAX_NORM, "betas": BETAS,
            "eps": EPS, "seq_len": SEQ_LEN, "doc_lens": DOC_LENS, "cases": cases}
    save_file(tensors, out, metadata={"spec": json.dumps(spec), "torch": torch.__version__,
                                      "transformers": transformers.__version__, "peft": peft.__version__})
    print("ok", out, len(tensors), "tensors")


if __name__ == "__main__":
    main()
