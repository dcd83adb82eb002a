#!/usr/bin/env python3
"""Checks an exported model and its adapter with transformers and PEFT: the logits of the merged export equal the
logits of the base model with the PEFT adapter applied, and both equal SparkTune's own (given as a safetensors file).

Usage: check_export.py BASE_DIR ADAPTER_DIR MERGED_DIR SPARKTUNE_LOGITS
  SPARKTUNE_LOGITS: safetensors with "input_ids" [T] (int32) and "logits" [T, V] computed by SparkTune on the merged
  weights for those ids (one document, positions 0..T-1).
Prints one JSON line: max |diff| between each pair.
"""
import json
import sys

import torch
import transformers
from peft import PeftModel
from safetensors.torch import load_file


def main():
    base_dir, adapter_dir, merged_dir, ours_file = sys.argv[1:5]
    ours = load_file(ours_file)
    ids = ours["input_ids"].long().reshape(1, -1)
    with torch.no_grad():
        merged = transformers.AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32,
                                                                   attn_implementation="eager").eval()
        merged_logits = merged(input_ids=ids).logits[0]
        base = transformers.AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32,
                                                                 attn_implementation="eager")
        peft = PeftModel.from_pretrained(base, adapter_dir).eval()
        peft_logits = peft(input_ids=ids).logits[0]
    print(json.dumps({
        "tokens": int(ids.shape[1]),
        "merged_vs_peft": float((merged_logits - peft_logits).abs().max()),
        "sparktune_vs_merged": float((ours["logits"] - merged_logits).abs().max()),
        "sparktune_vs_peft": float((ours["logits"] - peft_logits).abs().max()),
    }))


if __name__ == "__main__":
    main()
