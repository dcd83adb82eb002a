#!/usr/bin/env python
"""Chat-template goldens: renders fixed conversations with transformers' own chat-template renderer.

For each template in preprocess/src/test/resources/chat_templates/*.json (a model family's Jinja chat_template and
its special tokens) and each conversation below, records what
`tokenizer.apply_chat_template(messages, tools=..., tokenize=False, add_generation_prompt=..., **special_tokens)`
gives, i.e. `transformers.utils.chat_template_utils.render_jinja_template` with the tokenizer's non-null special
tokens, or the error the template raised. For every assistant message k it also records the render of messages[:k]
with add_generation_prompt=True (the prompt the model sees before producing turn k), which the Java tests use to
check the assistant spans.

Usage: chat_templates.py [OUT_JSON]   (stdout when no path is given)
Run with the reference environment (scripts/reference-env.sh): transformers 5.17, jinja2.
"""
import json
import sys
from pathlib import Path

import jinja2
import transformers
from transformers.utils.chat_template_utils import render_jinja_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "preprocess/src/test/resources/chat_templates"
FAMILIES = ["qwen3", "deepseek_v3", "gemma3", "llama3_1"]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current local time for a timezone",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
    },
}


def u(text):
    return {"role": "user", "content": text}


def a(text, calls=None):
    m = {"role": "assistant", "content": text}
    if calls:
        m["tool_calls"] = [{"name": n, "arguments": args} for n, args in calls]
    return m


def s(text):
    return {"role": "system", "content": text}


def t(text):
    return {"role": "tool", "content": text}


THINK = "<think>\nThe user wants 2+2. That is 4.\n</think>\n\nThe answer is 4."
# (id, messages, tools, add_generation_prompt, enable_thinking, families or None for all)
CONVERSATIONS = [
    ("single_turn", [u("Hello!"), a("Hi there! How can I help you today?")], None, False, True, None),
    ("multi_turn", [u("What is 2+2?"), a("4."), u("And times 3?"), a("12.")], None, False, True, None),
    ("system_prompt", [s("You are a terse assistant."), u("Name a color."), a("Blue."), u("Another."), a("Red.")],
     None, False, True, None),
    ("unicode", [u("日本語で答えて 😀 ¿Qué tal? Ünïcödé «quotes» \"dq\" 'sq' \\ backslash"),
                 a("はい！🎉 Ça va très bien — 谢谢。 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧")], None, False, True, None),
    ("whitespace", [u("  leading and trailing spaces  \n\n"), a("\n\n  Answer with newlines\n  \n"),
                    u("\ttab\r\nCRLF "), a(" x ")], None, False, True, None),
    ("think_single", [u("What is 2+2?"), a(THINK)], None, False, True, None),
    ("think_multi", [u("What is 2+2?"), a(THINK), u("Sure?"), a("<think>\nYes.\n</think>\n\nYes, 4.")],
     None, False, True, None),
    ("no_think_single", [u("What is 2+2?"), a("4.")], None, False, False, ["qwen3"]),
    ("no_think_multi", [s("Be brief."), u("What is 2+2?"), a(THINK), u("Sure?"), a("Yes.")], None, False, False,
     ["qwen3"]),
    ("prompt_only", [u("Write a haiku.")], None, True, True, None),
    ("prompt_multi", [s("You are kind."), u("Hi"), a("Hello!"), u("Tell me a joke.")], None, True, True, None),
    ("prompt_no_think", [u("Write a haiku.")], None, True, False, ["qwen3"]),
    ("prompt_no_generation_prompt", [u("Write a haiku.")], None, False, True, None),
    ("tools", [s("You can check the weather."), u("What's the weather in Paris?"),
               a("", [("get_weather", '{"city": "Paris", "unit": "celsius"}')]),
               t('{"temperature": 18, "condition": "sunny"}'), a("It is 18°C and sunny in Paris.")],
     [WEATHER_TOOL], False, True, None),
    ("tools_no_system", [u("Weather in Oslo and the time there?"),
                         a("Let me check both.", [("get_weather", '{"city": "Oslo"}'),
                                                  ("get_time", '{"tz": "Europe/Oslo", "nested": {"a": [1, 2.5, null, true]}}')]),
                         t("rain, 7°C"), t("14:05"), a("Rainy, 7°C, and it is 14:05 in Oslo.")],
     [WEATHER_TOOL, TIME_TOOL], False, True, None),
    ("tools_defined_unused", [u("Hi"), a("Hello! Ask me about the weather.")], [WEATHER_TOOL], False, True, None),
    # what a sharegpt function_call gives the template when its arguments are a JSON string (they stay a string)
    # and when a thought comes before its JSON (the thought is the message's content)
    ("tools_string_arguments", [u("Weather in Paris?"),
                                a("", [("get_weather", json.dumps('{"city":"Paris"}'))]),
                                t("sunny"), a("Sunny.")],
     [WEATHER_TOOL], False, True, None),
    ("tools_thought_before_call", [u("Weather in Paris?"),
                                   a("<think>\nI need the weather tool.\n</think>\n\n",
                                     [("get_weather", '{"city": "Paris"}')]),
                                   t("sunny"), a("Sunny.")],
     [WEATHER_TOOL], False, True, None),
]


def load_family(family):
    with open(TEMPLATES / f"{family}.json", encoding="utf-8") as f:
        return json.load(f)


def to_hf(messages):
    out = []
    for m in messages:
        hf = {"role": m["role"], "content": m["content"]}
        if m.get("tool_calls"):
            hf["tool_calls"] = [{"type": "function", "function": {"name": c["name"],
                                                                  "arguments": json.loads(c["arguments"])}}
                                for c in m["tool_calls"]]
        out.append(hf)
    return out


def render(template, tokens, messages, tools, add_generation_prompt, enable_thinking):
    kwargs = dict(tokens)
    if not enable_thinking:
        kwargs["enable_thinking"] = False
    rendered, _ = render_jinja_template(conversations=[to_hf(messages)], tools=tools, chat_template=template,
                                        add_generation_prompt=add_generation_prompt, **kwargs)
    return rendered[0]


def outcome(fn):
    try:
        return {"text": fn(), "error": None}
    except jinja2.exceptions.TemplateError as e:
        # raise_exception() raises a bare TemplateError; syntax/undefined errors are subclasses
        kind = "raise_exception" if type(e) is jinja2.exceptions.TemplateError else type(e).__name__
        return {"text": None, "error": {"type": kind, "message": str(e)}}
    except Exception as e:  # TypeError etc. from inside the template
        return {"text": None, "error": {"type": type(e).__name__, "message": str(e)}}


def main():
    cases = []
    for family in FAMILIES:
        spec = load_family(family)
        template = spec["chat_template"]
        tokens = {k: spec[k] for k in ("bos_token", "eos_token", "pad_token") if spec.get(k) is not None}
        for cid, messages, tools, agp, thinking, only in CONVERSATIONS:
            if only is not None and family not in only:
                continue
            result = outcome(lambda: render(template, tokens, messages, tools, agp, thinking))
            prompts = []
            for k, m in enumerate(messages):
                if m["role"] == "assistant":
                    p = outcome(lambda: render(template, tokens, messages[:k], tools, True, thinking))
                    prompts.append({"index": k, "text": p["text"], "error": p["error"]})
            cases.append({
                "id": f"{family}/{cid}",
                "family": family,
                "messages": messages,
                "tools": tools,
                "add_generation_prompt": agp,
                "enable_thinking": thinking,
                "text": result["text"],
                "error": result["error"],
                "assistant_prompts": prompts,
            })
    doc = {
        "generator": "scripts/goldens/chat_templates.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "cases": cases,
    }
    text = json.dumps(doc, ensure_ascii=True, indent=1) + "\n"
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
