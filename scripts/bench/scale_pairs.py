"""Writes the preference pairs of the DPO benchmark (issue 16): alpaca ranking records {"instruction", "chosen",
"rejected"} of random words (scale_text.py's single-token words), each document prep builds from them exactly
DOC_TOKENS tokens, so a pair fills its row of 2 x DOC_TOKENS (data.cutoff_len = DOC_TOKENS) with no padding and
nothing truncated.

Prep is to use template = empty (every turn its bare content, no special tokens): a document is then the prompt's words
followed by one response's words. The prompt is a quarter of the document, the rest the response; chosen and rejected
are different words of the same length. The script checks that every part encodes to its word count.

Usage: scale_pairs.py TOKENIZER_JSON OUT_DIR --pairs N --doc-tokens T [--seed 0]
Writes OUT_DIR/pairs.jsonl and OUT_DIR/dataset_info.json (dataset "scale_pairs", ranking); prints one JSON line:
pairs, doc_tokens, prompt_tokens, response_tokens, words (the vocabulary size drawn from).
"""
import json

from scale_text import RandomWords, corpus_arguments


def main():
    ap = corpus_arguments(__doc__)
    ap.add_argument("--pairs", type=int, required=True)
    ap.add_argument("--doc-tokens", type=int, required=True)
    args = ap.parse_args()
    if args.pairs < 1:
        ap.error(f"--pairs must be at least 1, got {args.pairs}")
    if args.doc_tokens < 4:
        ap.error(f"--doc-tokens must be at least 4 (a prompt and a response of at least one word), got "
                 f"{args.doc_tokens}")

    words = RandomWords(args.tokenizer_json, args.seed)
    prompt_tokens = args.doc_tokens // 4
    response_tokens = args.doc_tokens - prompt_tokens
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with open(args.out_dir / "pairs.jsonl", "w", encoding="utf-8") as out:
        for _ in range(args.pairs):
            record = {"instruction": words.text(prompt_tokens), "chosen": words.text(response_tokens),
                      "rejected": words.text(response_tokens)}
            out.write(json.dumps(record) + "\n")
    info = {"scale_pairs": {"file_name": "pairs.jsonl", "ranking": True,
                            "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}}}
    (args.out_dir / "dataset_info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps({"pairs": args.pairs, "doc_tokens": args.doc_tokens, "prompt_tokens": prompt_tokens,
                      "response_tokens": response_tokens, "words": len(words.vocabulary)}))


if __name__ == "__main__":
    main()
