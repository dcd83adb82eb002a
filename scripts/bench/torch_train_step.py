"""The training step the torch references time, the one SparkTune's benchmarks run: the causal-LM loss on every token
(labels = input ids), backward, the gradients clipped to norm 1.0, one optimizer step."""
import torch


def train_step(model, ids, trained, opt):
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trained, 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
