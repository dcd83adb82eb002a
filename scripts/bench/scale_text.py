"""Writes the pre-training text corpus of the scale-ladder benchmark (issue "Real model sizes"): random words, each
text exactly CHUNKS x CUTOFF tokens once prep has appended EOS, so stage pt cuts every text into CHUNKS full rows and
no row is a packed remainder. Every row then costs what one of PEFT's single-document rows of CUTOFF random tokens
costs.

Words are drawn from the tokenizer's own vocabulary: lowercase tokens that encode " word" as that one token. The
pre-tokenizer splits text at the spaces, so a text of n such words is exactly n tokens; the script checks that.

Usage: scale_text.py TOKENIZER_JSON OUT_DIR --texts N --cutoff T [--chunks 3] [--seed 0]
Writes OUT_DIR/text.jsonl ({"text": ...} per line) and OUT_DIR/dataset_info.json (dataset "scale_text"); prints one
JSON line: texts, tokens_per_text, words (the vocabulary size drawn from).
"""
import argparse
import json
import random
import re
from pathlib import Path

from tokenizers import Tokenizer

# Byte-level BPE spells a leading space as "Ġ".
WORD_TOKEN = re.compile(r"^Ġ([a-z]{3,10})$")


def single_token_words(tokenizer):
    """Words w whose " w" is one token, sorted so that the draw depends only on the seed."""
    candidates = sorted(m.group(1) for m in map(WORD_TOKEN.match, tokenizer.get_vocab()) if m)
    return [w for w in candidates if len(tokenizer.encode(" " + w, add_special_tokens=False).ids) == 1]


class RandomWords:
    """Texts of words drawn (seeded) from a tokenizer's single-token words, each after a space: n words, n tokens."""

    def __init__(self, tokenizer_json, seed):
        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self.vocabulary = single_token_words(self.tokenizer)
        self.rng = random.Random(seed)

    def text(self, n):
        """n words, checked to be n tokens, so a document's length is known exactly."""
        text = "".join(" " + self.rng.choice(self.vocabulary) for _ in range(n))
        got = len(self.tokenizer.encode(text, add_special_tokens=False).ids)
        if got != n:
            raise SystemExit(f"{n} words encode to {got} tokens: the words do not tokenize one token each")
        return text


def corpus_arguments(doc):
    """The arguments every corpus writer takes: the tokenizer whose words it draws, its output folder, the seed."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("tokenizer_json", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    return ap


def main():
    ap = corpus_arguments(__doc__)
    ap.add_argument("--texts", type=int, required=True)
    ap.add_argument("--cutoff", type=int, required=True)
    ap.add_argument("--chunks", type=int, default=3)
    args = ap.parse_args()
    for name in ("texts", "cutoff", "chunks"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1, got {getattr(args, name)}")

    words = RandomWords(args.tokenizer_json, args.seed)
    length = args.chunks * args.cutoff - 1  # prep appends EOS, which makes the last chunk full
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with open(args.out_dir / "text.jsonl", "w", encoding="utf-8") as out:
        for _ in range(args.texts):
            out.write(json.dumps({"text": words.text(length)}) + "\n")
    info = {"scale_text": {"file_name": "text.jsonl", "columns": {"prompt": "text"}}}
    (args.out_dir / "dataset_info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps({"texts": args.texts, "tokens_per_text": length + 1, "words": len(words.vocabulary)}))


if __name__ == "__main__":
    main()
