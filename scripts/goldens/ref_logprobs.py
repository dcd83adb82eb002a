#!/usr/bin/env python3
"""Reference log-probs with transformers, the check of SparkTune's ref-logprobs job (issue 16): for each document,
the sum over its supervised tokens (labels != -100, HF's unshifted layout) of log p(token | the tokens before it) and
their count, the model alone in fp32 on one document at a time.

Usage: ref_logprobs.py MODEL_DIR DOCS_JSON OUT_JSON
DOCS_JSON: [{"doc_id": n, "input_ids": [...], "labels": [...]}, ...]; OUT_JSON: {"<doc_id>": [sum, count], ...}
"""
import json
import sys

import torch
import transformers


def main():
    model_dir, docs_file, out_file = sys.argv[1:4]
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    out = {}
    with open(docs_file) as f:
        docs = json.load(f)
    with torch.no_grad():
        for doc in docs:
            ids = torch.tensor([doc["input_ids"]])
            labels = torch.tensor(doc["labels"][1:])
            logits = model(input_ids=ids).logits[0, :-1].float()
            mask = labels != -100
            logps = torch.gather(logits.log_softmax(-1), 1, labels.clamp(min=0).unsqueeze(1)).squeeze(1)
            out[str(doc["doc_id"])] = [float((logps * mask).sum(dtype=torch.float64)), int(mask.sum())]
    with open(out_file, "w") as f:
        json.dump(out, f)
    print("scored", len(out), "documents")


if __name__ == "__main__":
    main()
