"""Reference for bench/train-step.sh: full fine-tuning steps of a random Qwen3 with torch DDP (gloo, one process per
rank, one thread each), AdamW, random tokens, every token supervised; then the same with PEFT LoRA r 8 on every
linear layer of the decoder. Prints one markdown table row each.

Usage: train_step_ddp.py RANKS HIDDEN LAYERS HEADS KV_HEADS INTERMEDIATE VOCAB SEQ ROWS_PER_RANK STEPS
"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from transformers import Qwen3Config, Qwen3ForCausalLM

from torch_train_step import train_step

WARMUP = 2


def worker(rank, n, a, lora, port, out):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=n)
    hidden, layers, heads, kv, inter, vocab, seq, rows, steps = a
    cfg = Qwen3Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                      num_attention_heads=heads, num_key_value_heads=kv, head_dim=hidden // heads,
                      tie_word_embeddings=True, max_position_embeddings=max(4096, seq))
    torch.manual_seed(1)
    model = Qwen3ForCausalLM(cfg)
    model.config._attn_implementation = "eager"
    if lora:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=[
            "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    trained = [p for p in ddp.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trained, lr=1e-4, weight_decay=0.0)
    g = torch.Generator().manual_seed(7 + rank)
    times = []
    for s in range(WARMUP + steps):
        ids = torch.randint(0, vocab, (rows, seq), generator=g)
        dist.barrier()
        t0 = time.perf_counter()
        train_step(ddp, ids, trained, opt)
        dist.barrier()
        if s >= WARMUP:
            times.append(time.perf_counter() - t0)
    if rank == 0:
        step = sum(times) / len(times)
        params = sum(p.numel() for p in model.parameters())
        out.put((step, n * rows * seq / step, params))
    dist.destroy_process_group()


def run(n, a, lora, port):
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, n, a, lora, port, out)) for r in range(n)]
    for p in procs:
        p.start()
    result = out.get()
    for p in procs:
        p.join()
    return result


def main():
    n = int(sys.argv[1])
    a = [int(x) for x in sys.argv[2:11]]
    port = 29500 + os.getpid() % 1000
    step, tps, params = run(n, a, False, port)
    print(f"| torch DDP (gloo), transformers {__import__('transformers').__version__}, {params} params "
          f"| {step:.3f} | | | | {tps:.0f} | | | | |")
    step, tps, _ = run(n, a, True, port + 1)
    print(f"| torch DDP (gloo) + PEFT {__import__('peft').__version__} LoRA r 8, all linear "
          f"| {step:.3f} | | | | {tps:.0f} | | | | |")


if __name__ == "__main__":
    main()
