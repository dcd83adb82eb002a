#!/usr/bin/env python3
"""A short training curve as the reference: transformers (per-document runs) + torch.optim.AdamW + transformers'
cosine warmup schedule + clip_grad_norm_, on the packed batch of model_forward.py, for each fixture family.

Usage: model_train.py HF_FIXTURES_DIR OUT_FILE
  OUT_FILE (checked-in copy: dl4j-ext/src/test/resources/goldens/model_train.safetensors):
  "<family>/final/<param>" after the last step; metadata "spec": hyper-parameters, batch and per-family loss curve
  (the loss at each step, before that step's update) and pre-clip gradient norms.
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
from safetensors.torch import save_file

from fixture_models import FAMILIES, checkpoint_named, load_eager

SEQ_LEN = 10
DOC_LENS = [[4, 6], [3, 5]]
STEPS, WARMUP, LR, WD, MAX_NORM, BETAS, EPS = 8, 2, 3e-2, 0.1, 1.0, (0.9, 0.95), 1e-8


def batch(vocab):
    g = torch.Generator().manual_seed(99)
    ids = torch.randint(0, vocab, (len(DOC_LENS), SEQ_LEN), generator=g)
    labels = ids.clone()
    for b, lens in enumerate(DOC_LENS):
        start = 0
        for n in lens:
            labels[b, start] = -100
            start += n
        labels[b, start:] = -100
    return ids, labels


def loss_fn(model, ids, labels, token_count):
    total = 0.0
    for b, lens in enumerate(DOC_LENS):
        start = 0
        for n in lens:
            logits = model(input_ids=ids[b:b + 1, start:start + n]).logits[0]
            total = total + F.cross_entropy(logits[:-1], labels[b, start + 1:start + n], ignore_index=-100,
                                            reduction="sum")
            start += n
    return total / token_count


def train(model, params, groups, token_count, ids, labels, lr=LR):
    """STEPS of AdamW with cosine warmup and clipping of params' norm; the loss and pre-clip norm of each step."""
    opt = torch.optim.AdamW(groups, lr=lr, betas=BETAS, eps=EPS)
    sched = transformers.get_cosine_schedule_with_warmup(opt, WARMUP, STEPS)
    losses, norms = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model, ids, labels, token_count)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, MAX_NORM)))
        losses.append(loss.item())
        opt.step()
        sched.step()
    return losses, norms


def main():
    src, out = Path(sys.argv[1]), sys.argv[2]
    tensors, curves = {}, {}
    for family in FAMILIES:
        model = load_eager(src / family)
        ids, labels = batch(model.config.vocab_size)
        supervised = sum(int((labels[b, s + 1:s + n] != -100).sum()) for b, lens in enumerate(DOC_LENS)
                         for s, n in zip([sum(lens[:i]) for i in range(len(lens))], lens))
        token_count = supervised + 5
        params = list(model.parameters())
        losses, norms = train(model, params, [{"params": [p for p in params if p.dim() >= 2], "weight_decay": WD},
                                              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                              token_count, ids, labels)
        for name, p in checkpoint_named(model.named_parameters()):
            tensors[f"{family}/final/{name}"] = p.detach().contiguous().clone()
        curves[family] = {"losses": losses, "norms": norms, "input_ids": ids.reshape(-1).tolist(),
                          "labels": labels.reshape(-1).tolist(), "token_count": token_count}
    spec = {"steps": STEPS, "warmup": WARMUP, "lr": LR, "weight_decay": WD, "max_norm": MAX_NORM, "betas": BETAS,
            "eps": EPS, "seq_len": SEQ_LEN, "doc_lens": DOC_LENS, "families": curves}
    save_file(tensors, out, metadata={"spec": json.dumps(spec), "torch": torch.__version__,
                                      "transformers": transformers.__version__})
    print("ok", out, len(tensors), "tensors")


if __name__ == "__main__":
    main()
