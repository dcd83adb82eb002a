#!/usr/bin/env python3
"""AdamW + LR schedule + clipping goldens: 20 steps of torch.optim.AdamW with transformers' cosine warmup schedule
and clip_grad_norm_, driven by fixed synthetic gradients.

Usage: model_adamw.py OUT_FILE   (checked-in copy: dl4j-ext/src/test/resources/goldens/adamw.safetensors)
Tensors: "init/<p>", "grad/<step>/<p>", "final/<p>", "exp_avg/<p>", "exp_avg_sq/<p>"; metadata "spec" (JSON):
hyper-parameters, per-step lr and pre-clip grad norm, and the multipliers of transformers' constant/linear/cosine
warmup schedules for the Java LrSchedule check.
"""
import json
import sys

import torch
from safetensors.torch import save_file
import transformers

STEPS, WARMUP, LR, WD, MAX_NORM = 20, 3, 1e-2, 0.1, 1.0
BETAS, EPS = (0.9, 0.95), 1e-8


def main():
    g = torch.Generator().manual_seed(5)
    shapes = {"w": (6, 5), "b": (5,), "norm": (5,), "w2": (3, 6)}
    params = {k: torch.nn.Parameter(torch.randn(*s, generator=g)) for k, s in shapes.items()}
    decay = [params["w"], params["w2"]]
    no_decay = [params["b"], params["norm"]]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=BETAS, eps=EPS)
    sched = transformers.get_cosine_schedule_with_warmup(opt, num_warmup_steps=WARMUP, num_training_steps=STEPS)
    tensors = {f"init/{k}": p.detach().clone() for k, p in params.items()}
    lrs, norms = [], []
    for step in range(STEPS):
        scale = 2.0 if step % 3 == 0 else 0.2  # some steps clip, some do not
        for k, p in params.items():
            p.grad = torch.randn(*p.shape, generator=g) * scale
            tensors[f"grad/{step}/{k}"] = p.grad.detach().clone()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), MAX_NORM)))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    for k, p in params.items():
        tensors[f"final/{k}"] = p.detach().clone()
        tensors[f"exp_avg/{k}"] = opt.state[p]["exp_avg"].clone()
        tensors[f"exp_avg_sq/{k}"] = opt.state[p]["exp_avg_sq"].clone()

    def factors(make):
        o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        s = make(o)
        out = []
        for _ in range(STEPS + 2):
            out.append(o.param_groups[0]["lr"])
            o.step()
            s.step()
        return out

    spec = {"steps": STEPS, "warmup": WARMUP, "lr": LR, "weight_decay": WD, "max_norm": MAX_NORM, "betas": BETAS,
            "eps": EPS, "lrs": lrs, "norms": norms, "order": list(shapes), "shapes": shapes,
            "schedules": {
                "constant": factors(lambda o: transformers.get_constant_schedule_with_warmup(o, WARMUP)),
                "linear": factors(lambda o: transformers.get_linear_schedule_with_warmup(o, WARMUP, STEPS)),
                "cosine": factors(lambda o: transformers.get_cosine_schedule_with_warmup(o, WARMUP, STEPS))}}
    save_file({k: v.contiguous() for k, v in tensors.items()}, sys.argv[1], metadata={"spec": json.dumps(spec)})
    print("ok", sys.argv[1], len(tensors), "tensors")


if __name__ == "__main__":
    main()
