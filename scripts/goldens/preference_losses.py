#!/usr/bin/env python3
"""Preference-loss goldens (issue 16): losses, d loss / d logits and reward metrics of LLaMA-Factory's pref_loss
values on one batch of chosen / rejected pairs, from random logits.

sigmoid, hinge and ipo run TRL 1.13's own DPOTrainer._compute_loss (precomputed reference log-probs, the logits as the
"model" output); every case is also computed with LLaMA-Factory's formulas in torch, checked here against TRL where
the two agree, and those are the goldens:
  - LLaMA-Factory src/llamafactory/train/dpo/trainer.py: concatenated_forward (ipo/orpo/simpo average the log-probs
    over valid_length, the reference's too), odds_ratio_loss (orpo), simpo_loss, get_batch_loss_metrics (pref_ftx:
    losses += ftx * -chosen_logps_avg; rewards/*, logps/*), compute_preference_loss (orpo/simpo rewards = beta *
    policy log-probs); trainer_utils.get_batch_logps;
  - TRL v0.24.0 trl/trainer/dpo_trainer.py DPOTrainer.dpo_loss, which LLaMA-Factory calls (it pins trl<=0.24): sigmoid
    with label_smoothing (cDPO), hinge relu(1 - beta * logits), ipo (logits - 1/(2 beta))^2.
Where TRL 1.13 differs from them (no label smoothing in its sigmoid; ipo rewards from summed log-ratios) the goldens
follow LLaMA-Factory; the script asserts only what should agree.

Usage: preference_losses.py OUT_FILE  (checked-in copy: dl4j-ext/src/test/resources/goldens/preference_losses.safetensors)
Tensors: "input_ids" [2N, T] (rows 0..N-1 chosen, N..2N-1 rejected, TRL's layout), "completion_mask" [2N, T] (both
float32),
"logits" [2N, T, V], "ref_logps" [2N] (summed over each response), "case/<name>/grad" [2N, T, V];
metadata "spec": per case pref_loss, beta, label_smoothing, simpo_gamma, ftx, loss and metrics.
"""
import json
import math
import sys
from collections import defaultdict
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from trl.trainer.dpo_trainer import DPOTrainer

N, T, V = 6, 12, 17
CASES = [
    # name, pref_loss, beta, label_smoothing, simpo_gamma, ftx
    ("sigmoid", "sigmoid", 0.1, 0.0, 0.5, 0.0),
    ("sigmoid_beta", "sigmoid", 0.7, 0.0, 0.5, 0.0),
    ("sigmoid_cdpo", "sigmoid", 0.3, 0.1, 0.5, 0.0),
    ("sigmoid_ftx", "sigmoid", 0.1, 0.0, 0.5, 0.5),
    ("hinge", "hinge", 0.25, 0.0, 0.5, 0.0),
    ("ipo", "ipo", 0.1, 0.0, 0.5, 0.0),
    ("orpo", "orpo", 0.1, 0.0, 0.5, 0.0),
    ("orpo_ftx", "orpo", 0.2, 0.0, 0.5, 1.0),
    ("simpo", "simpo", 2.0, 0.0, 0.5, 0.0),
]


def batch():
    """N pairs sharing a prompt of 2-4 tokens per pair, responses of different lengths, 0-3 positions of padding."""
    g = torch.Generator().manual_seed(16)
    input_ids = torch.randint(0, V, (2 * N, T), generator=g)
    completion = torch.zeros(2 * N, T, dtype=torch.long)
    for i in range(N):
        prompt = 2 + i % 3
        input_ids[N + i, :prompt] = input_ids[i, :prompt]
        completion[i, prompt:T - i % 4] = 1
        completion[N + i, prompt:T - (i + 2) % 4] = 1
    logits = torch.randn(2 * N, T, V, generator=g) * 1.5
    return input_ids, completion, logits, g


def summed_logps(logits, input_ids, completion):
    """trainer_utils.get_batch_logps: log-softmax of the next token, summed over the response, and the count."""
    labels = input_ids[:, 1:]
    mask = completion[:, 1:].bool()
    per_token = torch.gather(logits[:, :-1].log_softmax(-1), 2, labels.unsqueeze(2)).squeeze(2)
    return (per_token * mask).sum(-1), mask.sum(-1)


def llamafactory(case, logits, input_ids, completion, ref_sums):
    """Loss and metrics of a batch of pairs, rows 0..n-1 chosen and n..2n-1 rejected (dpo_step.py runs it on a model's
    logits)."""
    _, loss_type, beta, ls, gamma, ftx = case
    sums, lengths = summed_logps(logits, input_ids, completion)
    n = len(sums) // 2
    avg = loss_type in ("ipo", "orpo", "simpo")
    logps = sums / lengths if avg else sums
    ref = ref_sums / lengths if avg else ref_sums
    c, r = logps[:n], logps[n:]
    if loss_type == "orpo":
        log_odds = (c - r) - (torch.log1p(-torch.exp(c)) - torch.log1p(-torch.exp(r)))
        losses = -c + beta * -F.logsigmoid(log_odds)
        cr, rr = beta * c.detach(), beta * r.detach()
    elif loss_type == "simpo":
        losses = -F.logsigmoid(beta * ((c - r) - gamma / beta))
        cr, rr = beta * c.detach(), beta * r.detach()
    else:
        m = (c - ref[:n]) - (r - ref[n:])
        if loss_type == "sigmoid":
            losses = -F.logsigmoid(beta * m) * (1 - ls) - F.logsigmoid(-beta * m) * ls
        elif loss_type == "hinge":
            losses = torch.relu(1 - beta * m)
        else:
            losses = (m - 1 / (2 * beta)) ** 2
        cr, rr = beta * (c - ref[:n]).detach(), beta * (r - ref[n:]).detach()
    sft = -(sums[:n] / lengths[:n])
    if ftx > 1e-6:
        losses = losses + ftx * sft
    metrics = {
        "rewards/chosen": cr.mean().item(), "rewards/rejected": rr.mean().item(),
        "rewards/accuracies": (cr > rr).float().mean().item(), "rewards/margins": (cr - rr).mean().item(),
        "logps/chosen": c.mean().item(), "logps/rejected": r.mean().item(),
    }
    return losses.mean(), metrics


class LogitsModel(torch.nn.Module):
    """A "model" whose output is the batch's logits: TRL's loss code runs unchanged on them."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, **kwargs):
        return SimpleNamespace(logits=self.logits)


def trl(case, logits, input_ids, completion, ref_sums):
    _, loss_type, beta, ls, _, _ = case
    model = LogitsModel(logits)
    model.train()
    accelerator = SimpleNamespace(device=torch.device("cpu"), gather=lambda x: x, gather_for_metrics=lambda x: x)
    trainer = SimpleNamespace(model=model, accelerator=accelerator, aux_loss_enabled=False, precompute_ref_logps=True,
                              ld_alpha=None, f_divergence_type="reverse_kl", loss_types=[loss_type],
                              loss_weights=[1.0], beta=beta, label_smoothing=ls, use_weighting=False,
                              _metrics={"train": defaultdict(list)}, _total_train_tokens=0, _tp_size=1)
    inputs = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids), "completion_mask": completion,
              "ref_chosen_logps": ref_sums[:N], "ref_rejected_logps": ref_sums[N:]}
    loss = DPOTrainer._compute_loss(trainer, model, inputs, False)
    return loss, {k: v[-1] for k, v in trainer._metrics["train"].items()}


def main():
    out = sys.argv[1]
    input_ids, completion, logits0, g = batch()
    with torch.no_grad():
        sums, _ = summed_logps(logits0, input_ids, completion)
    ref_sums = sums + torch.randn(2 * N, generator=g) * 2.0  # a reference near the policy
    # ids and the mask as float32 (exact below 2^24): the Java reader loads float tensors
    tensors = {"input_ids": input_ids.to(torch.float32), "completion_mask": completion.to(torch.float32),
               "logits": logits0.clone(), "ref_logps": ref_sums.clone()}
    spec = {"pairs": N, "cases": []}
    for case in CASES:
        name, loss_type, beta, ls, gamma, ftx = case
        logits = logits0.clone().requires_grad_(True)
        loss, metrics = llamafactory(case, logits, input_ids, completion, ref_sums)
        loss.backward()
        grad = logits.grad.clone()
        checked = []
        if loss_type in ("sigmoid", "hinge", "ipo") and ftx == 0 and (ls == 0 or loss_type != "sigmoid"):
            logits_trl = logits0.clone().requires_grad_(True)
            loss_trl, metrics_trl = trl(case, logits_trl, input_ids, completion, ref_sums)
            loss_trl.backward()
            assert abs(loss_trl.item() - loss.item()) < 1e-6, (name, loss_trl.item(), loss.item())
            assert torch.allclose(logits_trl.grad, grad, atol=1e-7), name
            same = ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins"] \
                if loss_type != "ipo" else []  # TRL 1.13's ipo rewards use summed log-ratios, LLaMA-Factory averaged
            same += ["logps/chosen", "logps/rejected"] if loss_type != "ipo" else []
            for k in same:
                assert abs(metrics_trl[k] - metrics[k]) < 1e-5, (name, k, metrics_trl[k], metrics[k])
            checked = ["loss", "grad"] + same
        tensors[f"case/{name}/grad"] = grad
        spec["cases"].append({"name": name, "pref_loss": loss_type, "beta": beta, "label_smoothing": ls,
                              "simpo_gamma": gamma, "ftx": ftx, "loss": loss.item(), "metrics": metrics,
                              "equal_to_trl_1_13": checked})
        print(f"{name:14s} loss {loss.item():.6f}  acc {metrics['rewards/accuracies']:.3f}  "
              f"margin {metrics['rewards/margins']:+.5f}  TRL-checked {checked}")
    save_file(tensors, out, metadata={"spec": json.dumps(spec)})


if __name__ == "__main__":
    main()
