"""Writes the small demo datasets under data/ (deterministic; re-run to regenerate).

Three formats of the same kind of task a tiny model can learn: arithmetic (alpaca, jsonl), word reversal
(sharegpt, multi-turn, json array) and key lookup (OpenAI messages, jsonl), plus LLaMA-Factory's dataset_info.json.
Usage: python3 scripts/make_demo_data.py [OUT_DIR]
"""
import json
import os
import random
import sys

WORDS = ["spark", "delta", "token", "model", "shard", "queue", "river", "stone", "light", "cloud", "table", "graph"]


def alpaca(rng, n):
    for _ in range(n):
        a, b = rng.randint(0, 99), rng.randint(0, 99)
        op = rng.choice(["+", "-"])
        yield {"instruction": f"Compute {a} {op} {b}.", "input": "",
               "output": str(a + b if op == "+" else a - b)}


def sharegpt(rng, n):
    for _ in range(n):
        turns = []
        for _ in range(rng.randint(1, 3)):
            word = rng.choice(WORDS)
            turns += [{"from": "human", "value": f"Reverse the word '{word}'."}, {"from": "gpt", "value": word[::-1]}]
        record = {"conversations": turns}
        if rng.random() < 0.3:
            record["system"] = "You reverse words letter by letter."
        yield record


def messages(rng, n):
    for _ in range(n):
        table = {w: rng.randint(100, 999) for w in rng.sample(WORDS, 4)}
        key = rng.choice(sorted(table))
        listing = ", ".join(f"{k}={v}" for k, v in table.items())
        yield {"messages": [
            {"role": "system", "content": "Answer with the value only."},
            {"role": "user", "content": f"Given {listing}, what is {key}?"},
            {"role": "assistant", "content": str(table[key])}]}


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261122)
    with open(os.path.join(out, "demo_alpaca.jsonl"), "w", encoding="utf-8") as f:
        for r in alpaca(rng, 300):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "demo_sharegpt.json"), "w", encoding="utf-8") as f:
        json.dump(list(sharegpt(rng, 300)), f, ensure_ascii=False, indent=1)
    with open(os.path.join(out, "demo_messages.jsonl"), "w", encoding="utf-8") as f:
        for r in messages(rng, 300):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    info = {
        "demo_alpaca": {"file_name": "demo_alpaca.jsonl"},
        "demo_sharegpt": {"file_name": "demo_sharegpt.json", "formatting": "sharegpt",
                          "columns": {"messages": "conversations", "system": "system"}},
        "demo_messages": {"file_name": "demo_messages.jsonl", "formatting": "sharegpt",
                          "columns": {"messages": "messages"},
                          "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                                   "assistant_tag": "assistant", "system_tag": "system"}},
    }
    with open(os.path.join(out, "dataset_info.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data"))
