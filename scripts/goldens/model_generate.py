#!/usr/bin/env python3
"""Generation goldens: greedy decoding by transformers for each tiny fixture family.

Usage: model_generate.py HF_FIXTURES_DIR OUT_FILE
  HF_FIXTURES_DIR: the dirs written by model_safetensors.py (fixture_models.FAMILIES)
  OUT_FILE (checked-in copy: dl4j-ext/src/test/resources/goldens/model_generate.safetensors)

Per family "<family>/logits" [STEPS, V]: the logits after the prompt and after each greedily chosen token, from a
full forward of the whole prefix (no cache, eager attention, fp32); metadata "cases": per family the prompt and the
greedy tokens. The script also checks that transformers' own generate() (with its KV cache) picks the same tokens.
Mistral's fixture has sliding_window = 5, shorter than prompt + generation, so the window applies to cached keys.
"""
import json
import sys
from pathlib import Path

import torch
import transformers

from fixture_models import FAMILIES, load_eager

PROMPT_LEN = 7
STEPS = 8


def main():
    src, out = Path(sys.argv[1]), sys.argv[2]
    tensors, cases = {}, {}
    for family in FAMILIES:
        model = load_eager(src / family)
        model.eval()
        g = torch.Generator().manual_seed(7)
        prompt = torch.randint(0, model.config.vocab_size, (1, PROMPT_LEN), generator=g)
        ids = prompt
        steps = []
        with torch.no_grad():
            for _ in range(STEPS):
                logits = model(input_ids=ids, use_cache=False).logits[0, -1]
                steps.append(logits)
                ids = torch.cat([ids, logits.argmax().reshape(1, 1)], dim=1)
            cached = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                                    max_new_tokens=STEPS, min_new_tokens=STEPS, eos_token_id=None, pad_token_id=0)
        greedy = ids[0, PROMPT_LEN:].tolist()
        assert cached[0, PROMPT_LEN:].tolist() == greedy, (family, cached[0, PROMPT_LEN:].tolist(), greedy)
        tensors[f"{family}/logits"] = torch.stack(steps).contiguous()
        cases[family] = {"prompt": prompt[0].tolist(), "greedy": greedy}
    from safetensors.torch import save_file
    save_file(tensors, out, metadata={"cases": json.dumps(cases), "torch": torch.__version__,
                                      "transformers": transformers.__version__, "version": "1"})
    print("ok", out, {f: c["greedy"] for f, c in cases.items()})


if __name__ == "__main__":
    main()
