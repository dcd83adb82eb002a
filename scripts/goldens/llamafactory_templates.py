#!/usr/bin/env python
"""Named-template goldens: input_ids and labels as LLaMA-Factory's own SFT and DPO code builds them.

For each of SparkTune's named templates (a LLaMA-Factory template name), each record below and each set of label
options, runs LLaMA-Factory's code path for a supervised dataset with packing off:
  converter.AlpacaDatasetConverter / SharegptDatasetConverter (the record -> _prompt/_response/_system/_tools),
  template.get_template_and_fix_tokenizer (the named template, enable_thinking, the tokenizer's eos/stop words),
  processor.supervised.SupervisedDatasetProcessor.preprocess_dataset (template.encode_multiturn, infer_seqlen
  cutoff, mask_history, train_on_prompt, efficient_eos),
and for each preference record (ranking: true) the same with processor.pairwise.PairwiseDatasetProcessor
(template.encode_oneturn, infer_seqlen on the prompt and the longer response, efficient_eos), and records input_ids
and labels per case (a pair as SparkTune's row holds it: the chosen document, then the rejected one). The Java test (LlamaFactoryTemplateParityTest) feeds the same records
through SparkTune's prep encoding with the same options and asserts equality case by case.

Tokenizers: the bundled Qwen3 tokenizer (assets/tokenizers/qwen3). Templates written in another family's special
tokens (llama3, gemma, phi, glm4, ...: TOKENIZER_VARIANTS) get the Qwen3 tokenizer with those tokens added as special
tokens and bos/eos set, as `tokenizer.add_special_tokens` does; the added tokens and their ids are written to the
goldens so the Java test builds the same tokenizer. A variant holds its templates' stop words too: the script stops
if LLaMA-Factory's get_template_and_fix_tokenizer adds a token (a template's replace_eos only makes one of them the
eos, as SparkTune does). train_on_prompt is left out for efficient_eos templates, which
LLaMA-Factory refuses. Tool definitions and calls (TOOL_OPTIONS' records: single, typed and parallel calls, an
empty tool list) are exercised for every template, each in its tool format (register_template's "default" where it names
none); the llama3 tool format writes today's date (datetime.now()), so the script fixes LLaMA-Factory's clock at
TODAY and records it. A case LLaMA-Factory refuses (glm4's parallel calls) records its error instead of ids; one it
crashes on (qwen3_5's calls on arguments given as a JSON string) records the crash ("crash"), which SparkTune refuses
naming the record. One tool object instead of a list crashes LLaMA-Factory's tool formatter; SparkTune takes it as the
one-tool list, so that record's ids are LLaMA-Factory's for the list (SINGLE_TOOL_AS_LIST).

LLaMA-Factory is imported from its source tree, never copied here: pass its path (the directory holding
src/llamafactory, e.g. a checkout of hiyouga/LLaMA-Factory 0.9.6.dev0) as the first argument or LLAMAFACTORY_SRC.
Its data package imports torchaudio at module level for audio inputs (mm_plugin.py); the reference env has no
torchaudio, so an empty stand-in module is registered before the import. Nothing here processes audio, images or
video: the base mm_plugin passes text through unchanged, and templates with an image plugin are run with the base
one (text_only).

Usage: [LLAMAFACTORY_COMMIT=<commit>] llamafactory_templates.py LLAMAFACTORY_SRC OUT_JSON
Run with the reference environment (scripts/reference-env.sh). The goldens record the LLaMA-Factory VERSION (and the
commit given) they come from. Unlike the other goldens this one has no live re-run in CI: LLaMA-Factory is neither in
the wheel store nor reachable from CI, and its code is not committed here; regenerate after changing a template, a
record, or the LLaMA-Factory the templates follow.
"""
import dataclasses
import datetime
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
    "qwen3_5": "qwen3",
    "qwen3_5_nothink": "qwen3",
    "llama3": "llama3",
    "llama4": "llama4",
    "llama2": "llama2",
    "mistral": "mistral",
    "mistral_small": "mistral",
    "ministral": "mistral",
    "gemma": "gemma",
    "gemma2": "gemma",
    "gemma3": "gemma",
    "phi": "phi",
    "phi4": "phi4",
    "phi4_mini": "phi",
    "deepseek": "deepseek3",
    "deepseek3": "deepseek3",
    "deepseekr1": "deepseek3",
    "chatml": "qwen3",
    "yi": "qwen3",
    "smollm2": "qwen3",
    "glm4": "glm4",
    "granite3": "granite3",
    "olmo": "llama2",
    "zephyr": "llama2",
    "vicuna": "llama2",
    "gpt_oss": "gpt_oss",
    "default": "llama2",
    "alpaca": "qwen3",
    "empty": "qwen3",
}
# the date LLaMA-Factory's clock reads while the goldens are made (the llama3 tool format writes it)
TODAY = datetime.date(2026, 12, 7)
REASONING_TEMPLATES = {"qwen3", "qwen3_5", "deepseekr1", "gpt_oss"}

# special tokens added to the Qwen3 tokenizer for templates of other families: the tokens their slots and stop words
# spell that the model family's own tokenizers hold as tokens, and its bos / eos
TOKENIZER_VARIANTS = {
    "llama3": {
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "additional_special_tokens": ["<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>"],
    },
    "llama4": {
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot|>",
        "additional_special_tokens": ["<|header_start|>", "<|header_end|>", "<|eom|>"],
    },
    # Llama 2 and the templates written in plain text (olmo, zephyr, vicuna, default): only a bos and an eos
    "llama2": {"bos_token": "<s>", "eos_token": "</s>", "additional_special_tokens": []},
    "mistral": {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "additional_special_tokens": ["[INST]", "[/INST]", "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]",
                                      "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[AVAILABLE_TOOLS]",
                                      "[/AVAILABLE_TOOLS]"],
    },
    "gemma": {
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"],
    },
    "phi": {
        "bos_token": "<s>",
        "eos_token": "<|endoftext|>",
        "additional_special_tokens": ["<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<|tool|>", "<|/tool|>"],
    },
    "phi4": {"bos_token": "<|endoftext|>", "eos_token": "<|im_end|>", "additional_special_tokens": ["<|im_sep|>"]},
    "deepseek3": {
        "bos_token": "<｜begin▁of▁sentence｜>",
        "eos_token": "<｜end▁of▁sentence｜>",
        "additional_special_tokens": ["<｜User｜>", "<｜Assistant｜>"],
    },
    "glm4": {
        "bos_token": "[gMASK]",
        "eos_token": "<|endoftext|>",
        "additional_special_tokens": ["<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"],
    },
    "granite3": {
        "bos_token": "<|end_of_text|>",
        "eos_token": "<|end_of_text|>",
        "additional_special_tokens": ["<|start_of_role|>", "<|end_of_role|>"],
    },
    "gpt_oss": {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|return|>",
        "additional_special_tokens": ["<|start|>", "<|message|>", "<|end|>", "<|channel|>"],
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
    # tools as compact JSON text: phi4_mini writes the text as it is, the tool formats re-serialise it
    "tool_call_typed": ("sharegpt", {"tools": json.dumps([{"type": "function", "function": {
        "name": "forecast", "description": "Forecast for a city",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "days": {"type": "integer"}, "hourly": {"type": "boolean"},
            "fields": {"type": "array", "items": {"type": "string"}},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit"},
            "note": {"type": ["string", "null"]}},
            "required": ["city", "days"]}}}], ensure_ascii=False, separators=(",", ":")), "conversations": [
        {"from": "human", "value": "Zürich, 3 days, temperature and sky?"},
        {"from": "function_call", "value": json.dumps({"name": "forecast", "arguments": {
            "city": "Zürich", "days": 3, "hourly": False, "fields": ["temp", "sky"], "note": None,
            "ratio": 0.5}}, ensure_ascii=False)},
        {"from": "observation", "value": "[{\"day\": 1, \"temp_c\": 18.5}]"},
        {"from": "gpt", "value": "Day 1: 18.5°C."}]}),
    "tool_call_parallel": ("sharegpt", {"system": "Use the tools.", "tools": WEATHER_TOOLS, "conversations": [
        {"from": "human", "value": "Weather in Paris and Oslo?"},
        {"from": "function_call", "value": json.dumps([
            {"name": "get_weather", "arguments": {"city": "Paris"}},
            {"name": "get_weather", "arguments": {"city": "Oslo"}}])},
        {"from": "observation", "value": "[\"sunny\", \"snow\"]"},
        {"from": "gpt", "value": "Paris is sunny, Oslo has snow."},
        {"from": "human", "value": "Thanks!"},
        {"from": "gpt", "value": "You are welcome."}]}),
    # the default tool format's Python: "in" on a required string, ", ".join over an enum string, str() of a number
    # and of None, items without a type
    "tool_default_quirks": ("sharegpt", {"tools": json.dumps([{"name": "pick", "parameters": {
        "type": "object", "required": "colour size", "properties": {
            "colour": {"type": "string", "enum": "rgb", "description": 1.5},
            "size": {"type": None, "items": {"description": "no type"}},
            "tags": {"type": "array", "items": {}}}}}]), "conversations": [
        {"from": "human", "value": "Pick one."},
        {"from": "function_call", "value": json.dumps({"name": "pick", "arguments": {"colour": "r"}})},
        {"from": "observation", "value": "ok"},
        {"from": "gpt", "value": "Picked red."}]}),
    # an empty tool list still writes the system slot (LLaMA-Factory's "if system or tools")
    "tools_empty": ("sharegpt", {"tools": "[]", "conversations": [
        {"from": "human", "value": "Hi"},
        {"from": "gpt", "value": "Hello."}]}),
    # arguments as a JSON string (OpenAI's wire form): LLaMA-Factory json.dumps them as they are, a quoted string
    "tool_call_string_arguments": ("sharegpt", {"tools": WEATHER_TOOLS, "conversations": [
        {"from": "human", "value": "Weather in Paris?"},
        {"from": "function_call", "value": json.dumps({"name": "get_weather",
                                                       "arguments": json.dumps({"city": "Paris"})})},
        {"from": "observation", "value": "sunny"},
        {"from": "gpt", "value": "Sunny."}]}),
    # a thought before the call's JSON, in the default thought words: LLaMA-Factory writes it before the call
    "tool_call_thought": ("sharegpt", {"tools": WEATHER_TOOLS, "conversations": [
        {"from": "human", "value": "Weather in Paris?"},
        {"from": "function_call", "value": "<think>\nI need the weather tool.\n</think>\n\n"
                                            + json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})},
        {"from": "observation", "value": "sunny"},
        {"from": "gpt", "value": "Sunny."},
        {"from": "human", "value": "And tomorrow?"},
        {"from": "gpt", "value": "I cannot tell."}]}),
    # one tool object instead of a list: LLaMA-Factory's tool formatter iterates it as a list and crashes; SparkTune
    # takes it as the one-tool list, so the ids are LLaMA-Factory's for that list (SINGLE_TOOL_AS_LIST)
    "tool_single_object": ("sharegpt", {"tools": json.dumps(json.loads(WEATHER_TOOLS)[0]), "conversations": [
        {"from": "human", "value": "Weather in Paris?"},
        {"from": "function_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})},
        {"from": "observation", "value": "sunny"},
        {"from": "gpt", "value": "Sunny."}]}),
    "alpaca_history": ("alpaca", {
        "instruction": "Summarise the text.",
        "input": "Spark runs jobs on a cluster.",
        "output": "Spark is a cluster job runner.",
        "system": "Be brief.",
        "history": [["Hi", "Hello! How can I help?"], ["What is Spark?", "A distributed engine."]]}),
    "alpaca_plain": ("alpaca", {"instruction": "Say yes.", "input": "", "output": "Yes."}),
    "own_thoughts_harmony": ("sharegpt", {"conversations": [
        {"from": "human", "value": "Is 17 prime?"},
        {"from": "gpt", "value": "<|channel|>analysis<|message|>Check divisors up to 4: none."
                                 "<|end|><|start|>assistant<|channel|>final<|message|>Yes, 17 is prime."},
        {"from": "human", "value": "And 21?"},
        {"from": "gpt", "value": "No, 21 = 3 x 7."}]}),
}
# records written in one template's own thought words or for one tool format, run for those templates only
RECORD_TEMPLATES = {"own_thoughts_harmony": {"gpt_oss"}, "tool_default_quirks": {"chatml", "llama2"}}
# records SparkTune reads as another record LLaMA-Factory cannot read: their expected ids are LLaMA-Factory's for that
SINGLE_TOOL_AS_LIST = {"tool_single_object"}
# records with tools, run for every template with these options only (their tool prompts make long cases);
# mask_history where several turns follow the calls
TOOL_OPTIONS = {"tool_call": {"default", "truncated"}, "tool_call_typed": {"default", "truncated"},
                "tool_call_parallel": {"default", "mask_history", "truncated"}, "tools_empty": {"default"}, "tool_default_quirks": {"default"},
                "tool_call_string_arguments": {"default"}, "tool_call_thought": {"default", "mask_history"},
                "tool_single_object": {"default"}}

# preference (ranking) records, through the pairwise processor (stage dpo); the history response carries a thought
PREFERENCE_RECORDS = {
    "pref_sharegpt": ("sharegpt", {
        "system": "Answer briefly.",
        "conversations": [
            {"from": "human", "value": "Is 9 prime?"},
            {"from": "gpt", "value": "<think>\n9 = 3 x 3.\n</think>\n\nNo."},
            {"from": "human", "value": "Name a prime between 20 and 30."}],
        "chosen": {"from": "gpt", "value": "23 is prime: no divisor up to its square root."},
        "rejected": {"from": "gpt", "value": "<think>\nGuess.\n</think>\n\n25."}}),
    "pref_alpaca": ("alpaca", {
        "instruction": "Give the capital of France.", "input": "",
        "chosen": "Paris.", "rejected": "Lyon, the largest city of the Rhone valley."}),
}
# name -> cutoff_len ("truncated" cuts prompt and responses)
PREFERENCE_OPTIONS = {"default": 1024, "truncated": 20}

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
    from llamafactory.data import converter, mm_plugin, parser, template, tool_utils

    class FixedClock(datetime.datetime):  # see the docstring: the llama3 tool format writes datetime.now()
        @classmethod
        def now(cls, tz=None):
            return cls(TODAY.year, TODAY.month, TODAY.day, 12, 0)

    tool_utils.datetime = FixedClock
    from llamafactory.data.processor import pairwise, supervised
    return SimpleNamespace(converter=converter, parser=parser, template=template, supervised=supervised,
                           pairwise=pairwise, mm_plugin=mm_plugin)


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


def text_only(template, mm_plugin_mod):
    """The template with the base multimodal plugin in place of its own (qwen3_vl, gemma3, pixtral, llama4).

    Those plugins only rewrite image / video placeholders, which these records have none of, and need the model's
    processor to run at all; the base plugin passes text through unchanged, as they do on text.
    """
    if type(template.mm_plugin) is mm_plugin_mod.BasePlugin:
        return template
    return dataclasses.replace(template, mm_plugin=mm_plugin_mod.get_mm_plugin(name="base"))


def finds_thought_before_call(lf, name):
    """Whether LLaMA-Factory's template finds a thought in <think> before a call's JSON (tool_call_thought).

    Llama2Template's _encode (gemma, gemma2, gemma3, llama2, ministral) passes no thought words to the function
    formatter, and gpt_oss's thought words are its channels: there LLaMA-Factory takes the whole text for JSON and
    fails; SparkTune keeps the thought before the call as the other templates do (docs/prep.md).
    """
    template = lf.template.TEMPLATES[name]
    return (not isinstance(template, lf.template.Llama2Template)
            and template.thought_words == ("<think>\n", "\n</think>\n\n"))


def llamafactory_version(lf_src):
    """The LLaMA-Factory the goldens come from: its VERSION, and the commit when LLAMAFACTORY_COMMIT names it."""
    env_py = Path(lf_src, "src", "llamafactory", "extras", "env.py").read_text(encoding="utf-8")
    version = next(line.split("=", 1)[1].strip().strip('"') for line in env_py.splitlines()
                   if line.startswith("VERSION = "))
    return {"version": version, "commit": os.environ.get("LLAMAFACTORY_COMMIT", "")}


def main(lf_src, out):
    lf = import_llamafactory(lf_src)
    loaded = {}  # one tokenizer per template: get_template_and_fix_tokenizer edits it the same way for every case
    cases = []
    for name, variant in TEMPLATES.items():
        if (name, variant) not in loaded:
            loaded[(name, variant)] = load_tokenizer(variant)
        tokenizer, _ = loaded[(name, variant)]
        for thinking in ([True, False] if name in REASONING_TEMPLATES else [True]):
            for record_name, (formatting, record) in RECORDS.items():
                if name not in RECORD_TEMPLATES.get(record_name, {name}):
                    continue
                if record_name == "tool_call_thought" and not finds_thought_before_call(lf, name):
                    continue
                for option_name, (cutoff_len, mask_history, train_on_prompt) in OPTIONS.items():
                    if option_name != "default" and record_name in ("single_turn", "alpaca_plain", "system_column"):
                        continue  # the options change nothing new on a one-turn record beyond "default"
                    if option_name not in TOOL_OPTIONS.get(record_name, OPTIONS):
                        continue
                    if train_on_prompt and lf.template.TEMPLATES[name].efficient_eos:
                        continue  # LLaMA-Factory refuses it (get_template_and_fix_tokenizer), as SparkTune does
                    case = encode(lf, name, variant, tokenizer, thinking, record_name, formatting, record,
                                  cutoff_len, mask_history, train_on_prompt, ranking=False)
                    case["name"] = f"{name}{'' if thinking else '/no_thinking'}/{record_name}/{option_name}"
                    cases.append(case)
            for record_name, (formatting, record) in PREFERENCE_RECORDS.items():
                for option_name, cutoff_len in PREFERENCE_OPTIONS.items():
                    case = encode(lf, name, variant, tokenizer, thinking, record_name, formatting, record,
                                  cutoff_len, False, False, ranking=True)
                    case["name"] = f"{name}{'' if thinking else '/no_thinking'}/dpo/{record_name}/{option_name}"
                    cases.append(case)
    records = {k: {"formatting": f, "record": r} for k, (f, r) in {**RECORDS, **PREFERENCE_RECORDS}.items()}
    tokenizers = {variant: info for (_, variant), (_, info) in loaded.items()}
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"llamafactory": llamafactory_version(lf_src), "today": TODAY.isoformat(), "tokenizers": tokenizers,
                   "records": records, "cases": cases}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"{len(cases)} cases from LLaMA-Factory at {lf_src}")


def encode(lf, name, variant, tokenizer, thinking, record_name, formatting, record, cutoff_len, mask_history,
           train_on_prompt, ranking):
    """One record through LLaMA-Factory's converter, template and supervised (or, ranking, pairwise) processor."""
    data_args = SimpleNamespace(
        template=name, train_on_prompt=train_on_prompt, mask_history=mask_history, cutoff_len=cutoff_len,
        tool_format=None, default_system=None, enable_thinking=thinking, preserve_thinking=False, media_dir=None,
        dataset_dir=None)
    vocabulary = len(tokenizer)
    template = lf.template.get_template_and_fix_tokenizer(tokenizer, data_args)
    if len(tokenizer) != vocabulary:
        raise SystemExit(f"LLaMA-Factory added tokens to the {variant} tokenizer for {name}: add its stop words to "
                         "the variant")
    template = text_only(template, lf.mm_plugin)
    attr = lf.parser.DatasetAttr("file", record_name, formatting=formatting, system="system", ranking=ranking)
    if ranking:
        attr.chosen, attr.rejected = "chosen", "rejected"
    if formatting == "alpaca":
        attr.history = "history"
        conv = lf.converter.AlpacaDatasetConverter(attr, data_args)
    else:
        attr.tools = "tools"
        conv = lf.converter.SharegptDatasetConverter(attr, data_args)
    if record_name in SINGLE_TOOL_AS_LIST:
        record = {**record, "tools": f"[{record['tools']}]"}  # the text in brackets: phi4_mini writes it as it is
    example = conv({k: record.get(k) for k in ("conversations", "instruction", "input", "output", "system",
                                                 "history", "tools", "chosen", "rejected")})
    processor_class = lf.pairwise.PairwiseDatasetProcessor if ranking else lf.supervised.SupervisedDatasetProcessor
    processor = processor_class(template=template, tokenizer=tokenizer, processor=None, data_args=data_args)
    case = {"template": name, "enable_thinking": thinking, "tokenizer": variant, "record": record_name,
            "stage": "dpo" if ranking else "sft", "cutoff_len": cutoff_len, "mask_history": mask_history,
            "train_on_prompt": train_on_prompt}
    try:
        encoded = processor.preprocess_dataset({k: [v] for k, v in example.items()})
    except ValueError as e:  # a tool format that cannot write the record (glm4: parallel calls)
        case["error"] = str(e)
        return case
    except (AttributeError, TypeError, KeyError) as e:  # LLaMA-Factory crashes (qwen3_5's calls on string arguments)
        case["crash"] = f"{type(e).__name__}: {e}"
        return case
    if ranking:
        if len(encoded["chosen_input_ids"]) != 1:
            raise SystemExit(f"LLaMA-Factory dropped {name}/{record_name}: fix the record")
        # SparkTune keeps a pair in one row: the chosen document, then the rejected one
        case["chosen_length"] = len(encoded["chosen_input_ids"][0])
        case["input_ids"] = encoded["chosen_input_ids"][0] + encoded["rejected_input_ids"][0]
        case["labels"] = encoded["chosen_labels"][0] + encoded["rejected_labels"][0]
    else:
        if len(encoded["input_ids"]) != 1:
            raise SystemExit(f"LLaMA-Factory dropped {name}/{record_name}: fix the record")
        case["input_ids"], case["labels"] = encoded["input_ids"][0], encoded["labels"][0]
    if len(case["input_ids"]) != len(case["labels"]):
        raise SystemExit(f"{name}/{record_name}: LLaMA-Factory's labels and input_ids differ in length")
    return case


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 1 and os.environ.get("LLAMAFACTORY_SRC"):
        args = [os.environ["LLAMAFACTORY_SRC"], args[0]]
    if len(args) != 2:
        raise SystemExit(__doc__)
    main(*args)
