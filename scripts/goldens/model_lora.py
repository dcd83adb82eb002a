#!/usr/bin/env python3
"""LoRA goldens with PEFT on the tiny fixtures: per-document logits, loss and every adapter gradient, plus the
PEFT-written adapter directories our loader must read.

Usage: model_lora.py HF_FIXTURES_DIR OUT_DIR   (checked-in copy: dl4j-ext/src/test/resources/goldens/lora)
       model_lora.py --logits BASE_DIR ADAPTER_DIR ID,ID,...   (PeftModel.from_pretrained logits as JSON)
       model_lora.py --merged-logits BASE_DIR ADAPTER_DIR ID,ID,...   (merge_and_unload logits as JSON)
OUT_DIR/<family>/ holds adapter_config.json + adapter_model.safetensors (PEFT's save_pretrained); OUT_DIR/lora.safetensors
holds "<family>/logits", "<family>/loss" and "<family>/d/<adapter tensor name as saved>"; metadata "cases" (JSON).
The batch is model_forward.py's (packed rows vs PEFT run per document).
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import peft
from safetensors.torch import save_file

from fixture_models import load_eager

SEQ_LEN = 10
DOC_LENS = [[4, 6], [3, 5]]
SETTINGS = {  # family: (r, alpha, targets, use_rslora)
    "llama": (4, 8, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], False),
    "qwen2": (4, 8, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], False),
    "qwen3": (2, 6, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], True),
    "mistral": (4, 16, ["q_proj", "v_proj", "down_proj"], False),
    "phi3": (4, 8, ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"], False),  # PEFT's names: fused q/k/v, gate/up
    "gemma3": (4, 8, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], False),
    # attention only: PEFT maps gate_proj / up_proj / down_proj on Qwen3-MoE to the experts' 3-D parameters
    "qwen3_moe": (4, 8, ["q_proj", "k_proj", "v_proj", "o_proj"], False),
}


def logits_of(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0].tolist()


def main():
    if sys.argv[1] in ("--logits", "--merged-logits"):
        base = load_eager(sys.argv[2])
        model = peft.PeftModel.from_pretrained(base, sys.argv[3])
        if sys.argv[1] == "--merged-logits":
            model = model.merge_and_unload()
        print(json.dumps(logits_of(model, [int(x) for x in sys.argv[4].split(",")])))
        return
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    tensors, cases = {}, {}
    for family, (r, alpha, targets, rslora) in SETTINGS.items():
        torch.manual_seed(11)
        base = load_eager(src / family)
        model = peft.get_peft_model(base, peft.LoraConfig(r=r, lora_alpha=alpha, target_modules=targets,
                                                          lora_dropout=0.0, use_rslora=rslora, task_type="CAUSAL_LM"))
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_" in name:
                    p.copy_(torch.randn_like(p) * 0.3)  # PEFT inits B = 0: make every gradient non-trivial
        vocab = base.config.vocab_size
        g = torch.Generator().manual_seed(99)
        ids = torch.randint(0, vocab, (len(DOC_LENS), SEQ_LEN), generator=g)
        labels = ids.clone()
        logits_all = torch.zeros(len(DOC_LENS) * SEQ_LEN, vocab)
        real_rows, total, count = [], 0.0, 0
        for b, lens in enumerate(DOC_LENS):
            start = 0
            for n in lens:
                labels[b, start] = -100
                doc_labels = labels[b, start:start + n].clone()
                logits = model(input_ids=ids[b:b + 1, start:start + n]).logits[0]
                logits_all[b * SEQ_LEN + start:b * SEQ_LEN + start + n] = logits.detach()
                real_rows += list(range(b * SEQ_LEN + start, b * SEQ_LEN + start + n))
                total = total + F.cross_entropy(logits[:-1], doc_labels[1:], ignore_index=-100, reduction="sum")
                count += int((doc_labels[1:] != -100).sum())
                start += n
            labels[b, start:] = -100
        token_count = count + 5
        loss = total / token_count
        loss.backward()
        for name, p in model.named_parameters():
            if p.requires_grad:
                tensors[f"{family}/d/{name.replace('.default', '')}"] = p.grad.detach().contiguous()
            elif p.grad is not None:
                raise SystemExit(f"{name} is frozen but has a gradient")
        tensors[f"{family}/logits"] = logits_all.contiguous()
        tensors[f"{family}/loss"] = loss.detach().reshape(1)
        model.save_pretrained(out / family)
        (out / family / "README.md").unlink(missing_ok=True)  # PEFT's model-card stub
        cases[family] = {"seq_len": SEQ_LEN, "doc_lens": DOC_LENS, "input_ids": ids.reshape(-1).tolist(),
                         "labels": labels.reshape(-1).tolist(), "token_count": token_count, "real_rows": real_rows,
                         "rank": r, "alpha": alpha, "targets": targets, "use_rslora": rslora}
    save_file(tensors, str(out / "lora.safetensors"), metadata={"cases": json.dumps(cases), "peft": peft.__version__,
                                                                "torch": torch.__version__})
    print("ok", out, len(tensors), "tensors")


if __name__ == "__main__":
    main()
