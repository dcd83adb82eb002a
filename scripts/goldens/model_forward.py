#!/usr/bin/env python3
"""Whole-model goldens: transformers run PER DOCUMENT vs our packed rows, for each tiny fixture family.

Usage: model_forward.py HF_FIXTURES_DIR OUT_FILE
  HF_FIXTURES_DIR: the dirs written by model_safetensors.py (fixture_models.FAMILIES)
  OUT_FILE (checked-in copy: dl4j-ext/src/test/resources/goldens/model_forward.safetensors)

Per family "<family>/logits" [B*T, V] holds transformers' logits of each document run alone (eager attention, fp32;
rows of padding are zero), "<family>/loss" the summed cross-entropy of every document (labels shifted inside the
document, -100 ignored) divided by a global token count larger than this batch's, and "<family>/d/<param>" the
gradient of that loss for every parameter. Metadata "cases": per family the packed batch (input_ids, labels,
doc_lens, seq_len, token_count). A longrope family (phi3) also has "<family>/long_logits": one sequence
("long_ids") 6 tokens longer than original_max_position_embeddings, so that its forward uses the long factors.
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers

from fixture_models import FAMILIES, checkpoint_named, load_eager

SEQ_LEN = 10
DOC_LENS = [[4, 6], [3, 5]]  # row 1 ends in 2 padding tokens


def main():
    src, out = Path(sys.argv[1]), sys.argv[2]
    tensors, cases = {}, {}
    for family in FAMILIES:
        model = load_eager(src / family)
        model.train()  # dropout is 0 in these configs; train mode only to keep autograd
        vocab = model.config.vocab_size
        g = torch.Generator().manual_seed(99)
        ids = torch.randint(0, vocab, (len(DOC_LENS), SEQ_LEN), generator=g)
        labels = ids.clone()
        logits_all = torch.zeros(len(DOC_LENS) * SEQ_LEN, vocab)
        real_rows = []
        total = 0.0
        count = 0
        for b, lens in enumerate(DOC_LENS):
            start = 0
            for n in lens:
                labels[b, start] = -100  # e.g. a prompt token without loss
                doc_ids = ids[b:b + 1, start:start + n]
                doc_labels = labels[b, start:start + n].clone()
                logits = model(input_ids=doc_ids).logits[0]
                logits_all[b * SEQ_LEN + start:b * SEQ_LEN + start + n] = logits.detach()
                real_rows += list(range(b * SEQ_LEN + start, b * SEQ_LEN + start + n))
                total = total + F.cross_entropy(logits[:-1], doc_labels[1:], ignore_index=-100, reduction="sum")
                count += int((doc_labels[1:] != -100).sum())
                start += n
            labels[b, start:] = -100  # padding
        token_count = count + 5  # the rest of the global batch holds 5 more supervised tokens
        loss = total / token_count
        loss.backward()
        tensors[f"{family}/logits"] = logits_all.contiguous()
        tensors[f"{family}/loss"] = loss.detach().reshape(1)
        for name, grad in checkpoint_named((n, p.grad) for n, p in model.named_parameters()):
            tensors[f"{family}/d/{name}"] = grad.detach().contiguous()
        cases[family] = {"seq_len": SEQ_LEN, "doc_lens": DOC_LENS, "input_ids": ids.reshape(-1).tolist(),
                         "labels": labels.reshape(-1).tolist(), "token_count": token_count, "real_rows": real_rows,
                         "supervised": count}
        rope = model.config.rope_parameters
        if rope.get("rope_type") == "longrope":
            long_ids = torch.randint(0, vocab, (1, rope["original_max_position_embeddings"] + 6), generator=g)
            with torch.no_grad():
                tensors[f"{family}/long_logits"] = model(input_ids=long_ids).logits[0].contiguous()
            cases[family]["long_ids"] = long_ids[0].tolist()
    from safetensors.torch import save_file
    save_file(tensors, out, metadata={"cases": json.dumps(cases), "torch": torch.__version__,
                                      "transformers": transformers.__version__, "version": "1"})
    print("ok", out, len(tensors), "tensors")


if __name__ == "__main__":
    main()
