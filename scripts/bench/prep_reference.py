"""Python reference for the prep throughput benchmark: what LLaMA-Factory's data pipeline boils down to
(datasets.map over the records, chat template + fast tokenizer per example, num_proc workers).

Usage: python prep_reference.py DATA.jsonl TOKENIZER_DIR NUM_PROC
Prints one JSON line: {"documents", "tokens", "seconds_processing", "seconds_wall"}.
"""
import json
import sys
import time

wall_start = time.perf_counter()
from datasets import load_dataset, disable_caching  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402


def main(data, tokenizer_dir, num_proc):
    disable_caching()
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    dataset = load_dataset("json", data_files=data, split="train")

    def encode(batch):
        ids = []
        for instruction, inp, output in zip(batch["instruction"], batch["input"], batch["output"]):
            prompt = instruction + ("\n" + inp if inp else "")
            messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": output}]
            text = tokenizer.apply_chat_template(messages, tokenize=False)
            ids.append(tokenizer(text, add_special_tokens=False)["input_ids"])
        return {"input_ids": ids, "length": [len(x) for x in ids]}

    start = time.perf_counter()
    encoded = dataset.map(encode, batched=True, batch_size=1000, num_proc=num_proc,
                          remove_columns=dataset.column_names)
    tokens = sum(encoded["length"])
    processing = time.perf_counter() - start
    print(json.dumps({"documents": len(encoded), "tokens": tokens, "seconds_processing": processing,
                      "seconds_wall": time.perf_counter() - wall_start}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
