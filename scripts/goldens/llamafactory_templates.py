#!/usr/bin/env python
"""Named-template goldens: input_ids and labels as LLaMA-Factory's own SFT code builds them.

For each of SparkTune's named templates (a LLaMA-Factory template name), each record below and each set of label
options, runs LLaMA-Factory's code path for a supervised dataset with packing off:
  converter.AlpacaDatasetConverter / SharegptDatasetConverter (the record -> _prompt/_response/_system/_tools),
  template.get_template_and_fix_tokenizer (the named template, enable_thinking, the tokenizer's eos/stop words),
  processor.supervised.SupervisedDatasetProcessor.preprocess_dataset (template.encode_multiturn, infer_seqlen
  cutoff, mask_history, train_on_prompt, efficient_eos),
and records input_ids and labels per case. The Java test (LlamaFactoryTemplateParityTest) feeds the same records
through SparkTune's prep encoding with the same options and asserts equality case by case.

Tokenizers: the bundled Qwen3 tokenizer (assets/tokenizers/qwen3). Templates written in another family's special
tokens (llama3, mistral) get the Qwen3 tokenizer with those tokens added as special tokens and bos/eos set, as
`tokenizer.add_special_tokens` does; the added tokens and their ids are written to the goldens so the Java test
builds the same tokenizer. Tool definitions and calls are exercised for the templates whose tool format SparkTune
models (TOOL_TEMPLATES); the llama3 tool prompt embeds today's date, so it could not be a golden anyway.

LLaMA-Factory is imported from its source tree, never copied here: pass its path (the directory holding
src/llamafactory, e.g. a checkout of hiyouga/LLaMA-Factory 0.9.6.dev0) as the first argument or LLAMAFACTORY_SRC.
Its data package imports torchaudio at module level for audio inputs (mm_plugin.py); the reference env has no
torchaudio, so an empty stand-in module is registered before the import. Nothing here processes audio, images or
video (the base mm_plugin passes text through unchanged).

Usage: [LLAMAFACTORY_COMMIT=<commit>] llamafactory_templates.py LLAMAFACTORY_SRC OUT_JSON
Run with the reference environment (scripts/reference-env.sh). The goldens record the LLaMA-Factory VERSION (and the
commit given) they come from. Unlike the other goldens this one has no live re-run in CI: LLaMA-Factory is neither in
the wheel store nor reachable from CI, and its code is not committed here; regenerate after changing a template, a
record, or the LLaMA-Factory the templates follow.
"""
import importlib.machinery
import json
import os
import sys
import tempfile
import types
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
QWEN3_TOKENIZER = ROOT / "assets/tokenizers/qwen3"

# template -> tokenizer variant
TEMPLATES = {
    "qwen3": "qwen3",
    "qwen3_nothink": "qwen3",
    "qwen": "qwen3",
    "llama3": "llama3",
    "mistral": "mistral",
    "alpaca": "qwen3",
    "empty": "qwen3",
}
TOOL_TEMPLATES = {"qwen3", "qwen3_nothink", "qwen"}
REASONING_TEMPLATES = {"qwen3"}

# special tokens added to the Qwen3 tokenizer for templates of other families
TOKENIZER_VARIANTS = {
    "llama3": {
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "additional_special_tokens": ["<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>"],
    },
    "mistral": {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "additional_special_tokens": ["[INST]", "[/INST]", "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]"],
    },
}

WEATHER_TOOLS = json.dumps([{
    "name": "get_weather",
    "description": "Get the current weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name"}},
        "required": ["city"],
    },
}])

RECORDS = {
    "single_turn": ("sharegpt", {"conversations": [
        {"from": "human", "value": "What is 2+2?"},
        {"from": "gpt", "value": "2+2 is 4."}]}),
    "multi_turn_system": ("sharegpt", {"conversations": [
        {"from": "system", "value": "You are a terse assistant."},
        {"from": "human", "value": "Name a colour."},
        {"from": "gpt", "value": "Blue."},
        {"from": "human", "value": "Another one?"},
        {"from": "gpt", "value": "Green."},
        {"from": "human", "value": "And a third, with a reason."},
        {"from": "gpt", "value": "Red, because it is bold and easy to see from far away."}]}),
    "system_column": ("sharegpt", {"system": "Answer in French.", "conversations": [
        {"from": "human", "value": "Hello"},
        {"from": "gpt", "value": "Bonjour !"}]}),
    "own_thoughts": ("sharegpt", {"conversations": [
        {"from": "human", "value": "Is 17 prime?"},
        {"from": "gpt", "value": "<think>\nCheck divisors up to 4: none.\n</think>\n\nYes, 17 is prime."},
        {"from": "human", "value": "And 21?"},
        {"from": "gpt", "value": "No, 21 = 3 x 7."},
        {"from": "human", "value": "And 23?"},
        {"from": "gpt", "value": "<think>\nNo divisor up to 4.\n</think>\n\nYes."}]}),
    "unicode_spacing": ("sharegpt", {"conversations": [
        {"from": "human", "value": "Übersetze: naïve café 🙂\n  indented"},
        {"from": "gpt", "value": "  Naïve Café 🙂\n\n日本語もOK。 "},
        {"from": "human", "value": " trailing space "},
        {"from": "gpt", "value": "\nnewline first"}]}),
    "tool_call": ("sharegpt", {"tools": WEATHER_TOOLS, "conversations": [
        {"from": "human", "value": "Weather in Paris?"},
        {"from": "function_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})},
        {"from": "observation", "value": "{\"temp_c\": 21, \"sky\": \"clear\"}"},
        {"from": "gpt", "value": "It is 21°C and clear in Paris."}]}),
    "alpaca_history": ("alpaca", {
        "instruction": "Summarise the text.",
        "input": "Spark runs jobs on a cluster.",
        "output": "Spark is a cluster job runner.",
        "system": "Be brief.",
        "history": [["Hi", "Hello! How can I help?"], ["What is Spark?", "A distributed engine."]]}),
    "alpaca_plain": ("alpaca", {"instruction": "Say yes.", "input": "", "output": "Yes."}),
}

# name -> (cutoff_len, mask_history, train_on_prompt); "truncated" cuts inside the multi-turn records
OPTIONS = {
    "default": (1024, False, False),
    "mask_history": (1024, True, False),
    "train_on_prompt": (1024, False, True),
    "truncated": (24, False, False),
    "truncated_mask_history": (24, True, False),
}


def import_llamafactory(src):
    src_dir = Path(src) / "src"
    if not (src_dir / "llamafactory").is_dir():
        raise SystemExit(f"no src/llamafactory under {src}: pass the LLaMA-Factory source tree")
    sys.path.insert(0, str(src_dir))
    stub = types.ModuleType("torchaudio")  # see the docstring: audio is never used here
    stub.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)
    sys.modules.setdefault("torchaudio", stub)
    from llamafactory.data import converter, parser, template
    from llamafactory.data.processor import supervised
    return converter, parser, template, supervised


def load_tokenizer(variant):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(str(QWEN3_TOKENIZER))
    added = []
    if variant in TOKENIZER_VARIANTS:
        spec = TOKENIZER_VARIANTS[variant]
        tokenizer.add_special_tokens({"bos_token": spec["bos_token"], "eos_token": spec["eos_token"]})
        tokenizer.add_tokens(spec["additional_special_tokens"], special_tokens=True)
        names = [spec["bos_token"], spec["eos_token"], *spec["additional_special_tokens"]]
        added = [{"content": t, "id": tokenizer.convert_tokens_to_ids(t)} for t in names]
        info = {"bos_token": spec["bos_token"], "eos_token": spec["eos_token"], "added": added}
    else:
        info = {"bos_token": tokenizer.bos_token, "eos_token": tokenizer.eos_token, "added": []}
    return tokenizer, info


def llamafactory_version(lf_src):
    """The LLaMA-Factory the goldens come from: its VERSION, and the commit when LLAMAFACTORY_COMMIT names it."""
    env_py = Path(lf_src, "src", "llamafactory", "extras", "env.py").read_text(encoding="utf-8")
    version = next(line.split("=", 1)[1].strip().strip('"') for line in env_py.splitlines()
                   if line.startswith("VERSION = "))
    return {"version": version, "commit": os.environ.get("LLAMAFACTORY_COMMIT", "")}


def main(lf_src, out):
    converter, parser, template_mod, supervised = import_llamafactory(lf_src)
    tokenizers = {}
    loaded = {}
    cases = []
    for name, variant in TEMPLATES.items():
        for thinking in ([True, False] if name in REASONING_TEMPLATES else [True]):
            for record_name, (formatting, record) in RECORDS.items():
                if record_name == "tool_call" and name not in TOOL_TEMPLATES:
                    continue
                for option_name, (cutoff_len, mask_history, train_on_prompt) in OPTIONS.items():
                    if option_name != "default" and record_name in ("single_turn", "alpaca_plain", "system_column"):
                        continue  # the options change nothing new on a one-turn record beyond "default"
                    # one tokenizer per template: get_template_and_fix_tokenizer edits it (eos, stop words) the
                    # same way for every case of the template
                    if (name, variant) not in loaded:
                        loaded[(name, variant)] = load_tokenizer(variant)
                    tokenizer, info = loaded[(name, variant)]
                    tokenizers[variant] = info
                    data_args = SimpleNamespace(
                        template=name, train_on_prompt=train_on_prompt, mask_history=mask_history,
                        cutoff_len=cutoff_len, tool_format=None, default_system=None,
                        enable_thinking=thinking, preserve_thinking=False, media_dir=None, dataset_dir=None)
                    template = template_mod.get_template_and_fix_tokenizer(tokenizer, data_args)
                    attr = parser.DatasetAttr("file", record_name, formatting=formatting, system="system")
                    if formatting == "alpaca":
                        attr.history = "history"
                        conv = converter.AlpacaDatasetConverter(attr, data_args)
                    else:
                        attr.tools = "tools"
                        conv = converter.SharegptDatasetConverter(attr, data_args)
                    example = conv({k: record.get(k) for k in ("conversations", "instruction", "input", "output",
                                                                 "system", "history", "tools")})
                    processor = supervised.SupervisedDatasetProcessor(
                        template=template, tokenizer=tokenizer, processor=None, data_args=data_args)
                    batch = {k: [v] for k, v in example.items()}
                    encoded = processor.preprocess_dataset(batch)
                    if len(encoded["input_ids"]) != 1:
                        raise SystemExit(f"LLaMA-Factory dropped {name}/{record_name}: fix the record")
                    cases.append({
                        "name": f"{name}{'' if thinking else '/no_thinking'}/{record_name}/{option_name}",
                        "template": name, "enable_thinking": thinking, "tokenizer": variant,
                        "record": record_name, "cutoff_len": cutoff_len, "mask_history": mask_history,
                        "train_on_prompt": train_on_prompt,
                        "input_ids": encoded["input_ids"][0], "labels": encoded["labels"][0],
                    })
    records = {k: {"formatting": f, "record": r} for k, (f, r) in RECORDS.items()}
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"llamafactory": llamafactory_version(lf_src), "tokenizers": tokenizers, "records": records,
                   "cases": cases}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} cases from LLaMA-Factory at {lf_src}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 1 and os.environ.get("LLAMAFACTORY_SRC"):
        args = [os.environ["LLAMAFACTORY_SRC"], args[0]]
    if len(args) != 2:
        raise SystemExit(__doc__)
    main(*args)
