"""Reference input_ids for the prep parity test: transformers' apply_chat_template with the bundled Qwen3 tokenizer.

Reads a ShareGPT jsonl (human/gpt/system/function_call/observation + optional tools JSON), builds the HF `messages`
the way SparkTune's converter does (function_call -> assistant tool_calls with parsed arguments, observation -> tool),
and writes {"cases": [{"line": n, "input_ids": [...], "text": "..."}]} as JSON.

Usage: python scripts/goldens/prep_tokens.py DATASET.jsonl TOKENIZER_DIR OUT.json
"""
import json
import sys

from transformers import AutoTokenizer

ROLES = {"human": "user", "gpt": "assistant", "system": "system", "observation": "tool"}


def to_messages(turns):
    messages = []
    for turn in turns:
        if turn["from"] == "function_call":
            calls = json.loads(turn["value"])
            calls = calls if isinstance(calls, list) else [calls]
            messages.append({"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls]})
        else:
            messages.append({"role": ROLES[turn["from"]], "content": turn["value"]})
    return messages


def main(dataset, tokenizer_dir, out):
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    cases = []
    with open(dataset, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            messages = to_messages(record["conversations"])
            tools = json.loads(record["tools"]) if record.get("tools") else None
            text = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=False)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            direct = tokenizer.apply_chat_template(messages, tools=tools, tokenize=True, add_generation_prompt=False)
            if hasattr(direct, "keys"):
                direct = direct["input_ids"]
            assert list(direct) == ids, f"line {line_no}: apply_chat_template(tokenize=True) != tokenize(text)"
            cases.append({"line": line_no, "input_ids": ids, "text": text})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"tokenizer": tokenizer_dir.rstrip("/").split("/")[-1], "cases": cases}, f, ensure_ascii=False,
                  indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
