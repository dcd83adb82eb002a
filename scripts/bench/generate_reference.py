"""Reference for bench/generate.sh: transformers' greedy generate on a random Qwen3 of the same shape, one prompt at a
time and then BATCH prompts per call (equal prompt lengths, so no padding), one thread. Prints two table rows.

Usage: generate_reference.py HIDDEN LAYERS HEADS KV_HEADS INTERMEDIATE VOCAB PROMPTS PROMPT_LEN NEW BATCH
"""
import sys
import time

import torch
from transformers import Qwen3Config, Qwen3ForCausalLM


def main():
    hidden, layers, heads, kv, inter, vocab, prompts, prompt_len, new, batch = (int(x) for x in sys.argv[1:11])
    torch.set_num_threads(1)
    torch.manual_seed(1)
    cfg = Qwen3Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                      num_attention_heads=heads, num_key_value_heads=kv, head_dim=hidden // heads,
                      tie_word_embeddings=True, max_position_embeddings=4096)
    model = Qwen3ForCausalLM(cfg).eval()
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, vocab, (prompts, prompt_len), generator=g)
    kwargs = dict(max_new_tokens=new, min_new_tokens=new, do_sample=False, eos_token_id=None, pad_token_id=0)
    with torch.no_grad():
        model.generate(ids[:batch], **kwargs)  # warm-up
        t0 = time.perf_counter()
        for p in range(prompts):
            model.generate(ids[p:p + 1], **kwargs)
        single = time.perf_counter() - t0
        t0 = time.perf_counter()
        for p in range(0, prompts, batch):
            model.generate(ids[p:p + batch], **kwargs)
        together = time.perf_counter() - t0
    tokens = prompts * new
    print(f"| transformers generate, one prompt at a time | {single:.2f} s | {tokens / single:.1f} tokens/s |")
    print(f"| transformers generate, {batch} prompts per call | {together:.2f} s | {tokens / together:.1f} tokens/s |"
          f" {single / together:.1f}x |")


if __name__ == "__main__":
    main()
