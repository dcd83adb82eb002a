"""Reference for the DPO benchmark (issue 16): TRL's DPOTrainer on the preference pairs of a packed table that
SparkTune's prep wrote with data.stage = dpo, and a checkpoint made by make_scale_checkpoint.py, on the CPU in fp32.

The pairs are the table's own token ids. Each row holds whole pairs (packing off: one), a chosen document then its
rejected one (doc_roles 1, 2), each its prompt (labels -100) followed by its response (every label set); the script
gives DPOTrainer prompt_ids, chosen_ids and rejected_ids, the columns its own tokenization produces, so its text
preparation (prompt extraction, EOS, tokenization) is skipped and both sides train the same tokens. The rest is
DPOTrainer's as a user runs it: its collator (a batch of [chosen, rejected] sequences), peft_config wrapping (LoRA r 8,
alpha 16, dropout 0 on every linear layer; the reference is the policy with its adapters disabled, so one model is
resident), gradient checkpointing (DPOConfig's default, on), the sigmoid loss with beta 0.1, AdamW, clipping at 1.0.

The model is loaded as peft_scale_reference.py loads it (fp32 from the bf16 checkpoint, sdpa attention), and
DPOConfig's bf16 default is turned off: bf16 autocast would make TRL's matmuls bf16 where SparkTune's are fp32.

A step is --pairs micro-batches of one pair (per_device_train_batch_size 1, gradient_accumulation_steps --pairs), as
SparkTune's steps are one pair per rank; WARMUP steps run first and are left out. A step's time runs from
on_step_begin to on_step_end (every forward and backward, clipping, AdamW; the Trainer collates the step's batches
just before); its tokens are the growth of DPOTrainer's num_tokens over the step (attention_mask.sum() of each batch:
the chosen and the rejected document, the prompt counted in both, no padding), which is what SparkTune's
tokens_per_second counts for a row of pairs (its real tokens). The rate is the median of the measured steps'
tokens / seconds.

--precompute sets precompute_ref_log_probs: DPOTrainer's constructor runs the reference model over every pair of
the table first (one pair per batch), timed on its own (precompute_s, with its documents and tokens), and the steps
then skip the reference forward.

Usage: trl_dpo_reference.py MODEL_DIR TABLE --pairs P --steps S [--warmup W] [--threads 2] [--precompute]
Prints one JSON line on stdout (load_s, peak_rss_gb, tokens_per_s as peft_scale_reference.py prints them, and the
precompute pass's figures) and the same as a markdown table row on stderr.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import datasets
import peft
import pyarrow.parquet as pq
import torch
import transformers
import trl
from transformers import AutoTokenizer, TrainerCallback
from trl import DPOConfig, DPOTrainer

from peft_scale_reference import LORA_TARGETS, load_fp32, peak_rss_gb, rss_gb

IGNORE = -100
CHOSEN, REJECTED = 1, 2  # PackedTable.ROLE_CHOSEN, ROLE_REJECTED


def live_parquet_files(table):
    """The data files of the table's latest version, from its Delta log's commits.

    Prep writes a new table in a few commits; a log with a checkpoint (Delta writes one every 10 commits) is not one
    prep wrote, and this reader does not replay checkpoints.
    """
    log = table / "_delta_log"
    if (log / "_last_checkpoint").exists():
        raise SystemExit(f"{log} has a checkpoint: not a table prep wrote fresh; prep it again")
    live = set()
    for commit in sorted(log.glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                live.add(action["add"]["path"])
            elif "remove" in action:
                live.discard(action["remove"]["path"])
    return [table / urllib.parse.unquote(path) for path in sorted(live)]


def split_document(ids, labels):
    """A document's prompt and response: the labels are -100 on the prompt and set on every response token."""
    prompt = 0
    while prompt < len(labels) and labels[prompt] == IGNORE:
        prompt += 1
    if prompt == 0 or prompt == len(ids) or any(label == IGNORE for label in labels[prompt:]):
        raise SystemExit("a document is not a prompt followed by one supervised response: TRL's prompt/completion "
                         "split cannot express it")
    return ids[:prompt], ids[prompt:]


def table_pairs(table):
    """Every pair of the table's train split as DPOTrainer's tokenized columns."""
    pairs = {"prompt_ids": [], "chosen_ids": [], "rejected_ids": []}
    columns = ["input_ids", "labels", "doc_lens", "doc_roles", "split"]
    for path in live_parquet_files(table):
        for row in pq.read_table(path, columns=columns).to_pylist():
            if row["split"] != "train":
                continue
            docs, start = [], 0
            for length in row["doc_lens"]:
                docs.append((row["input_ids"][start:start + length], row["labels"][start:start + length]))
                start += length
            if row["doc_roles"] != [CHOSEN, REJECTED] * (len(docs) // 2) or len(docs) % 2:
                raise SystemExit(f"a row of {table} has doc_roles {row['doc_roles']}: not whole pairs (chosen, "
                                 f"rejected); prep it with data.stage = dpo")
            for chosen, rejected in zip(docs[0::2], docs[1::2]):
                prompt, chosen_response = split_document(*chosen)
                rejected_prompt, rejected_response = split_document(*rejected)
                if rejected_prompt != prompt:
                    raise SystemExit("a pair's chosen and rejected documents have different prompts")
                pairs["prompt_ids"].append(prompt)
                pairs["chosen_ids"].append(chosen_response)
                pairs["rejected_ids"].append(rejected_response)
    if not pairs["prompt_ids"]:
        raise SystemExit(f"{table} has no pairs in its train split")
    return datasets.Dataset.from_dict(pairs)


class TablePairsDPOTrainer(DPOTrainer):
    """DPOTrainer on pairs that are token ids already, with its reference precompute timed."""

    precompute_s = 0.0

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        return dataset  # prompt_ids / chosen_ids / rejected_ids from the table: nothing to extract or tokenize

    def _precompute_ref_logps(self, dataset, name, batch_size):
        t0 = time.perf_counter()
        with_ref = super()._precompute_ref_logps(dataset, name, batch_size)
        self.precompute_s += time.perf_counter() - t0
        return with_ref


class StepLog(TrainerCallback):
    """Each optimizer step's seconds, tokens (DPOTrainer's num_tokens growth) and loss, by global step."""

    def __init__(self):
        self.seconds, self.tokens, self.loss = {}, {}, {}
        self._started = 0.0
        self._tokens_before = 0

    def on_step_begin(self, args, state, control, **kwargs):
        self._started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.seconds[state.global_step] = time.perf_counter() - self._started

    def on_log(self, args, state, control, logs=None, **kwargs):
        # logging_steps = 1: every step logs its loss and the cumulative num_tokens
        if logs and "num_tokens" in logs:
            self.tokens[state.global_step] = logs["num_tokens"] - self._tokens_before
            self._tokens_before = logs["num_tokens"]
            self.loss[state.global_step] = logs["loss"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir")
    ap.add_argument("table", type=Path)
    ap.add_argument("--pairs", type=int, required=True, help="pairs per optimizer step")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precompute", action="store_true")
    args = ap.parse_args()
    for name in ("pairs", "steps", "threads"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.warmup < 0:
        ap.error(f"--warmup must be at least 0, got {args.warmup}")

    torch.set_num_threads(args.threads)
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    pairs = table_pairs(args.table)
    total_steps = args.warmup + args.steps
    if len(pairs) < args.pairs * total_steps:
        raise SystemExit(f"{args.table} holds {len(pairs)} pairs; {total_steps} steps of {args.pairs} need "
                         f"{args.pairs * total_steps}")
    model, load_s = load_fp32(args.model_dir)
    rss_after_load = rss_gb()
    log = StepLog()
    with tempfile.TemporaryDirectory() as out:
        config = DPOConfig(output_dir=out, use_cpu=True, bf16=False, report_to="none", save_strategy="no",
                           logging_steps=1, disable_tqdm=True, per_device_train_batch_size=1,
                           gradient_accumulation_steps=args.pairs, max_steps=total_steps, max_length=None,
                           gradient_checkpointing=True, precompute_ref_log_probs=args.precompute,
                           # peft_scale_reference.py's optimizer settings; they do not change the step's cost
                           learning_rate=1e-4, lr_scheduler_type="constant")
        trainer = TablePairsDPOTrainer(
            model=model, args=config, train_dataset=pairs, callbacks=[log],
            processing_class=AutoTokenizer.from_pretrained(args.model_dir),
            peft_config=peft.LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=LORA_TARGETS,
                                        task_type="CAUSAL_LM"))
        trainer.train()

    measured = [s for s in sorted(log.seconds) if s > args.warmup]
    if any(s not in log.tokens for s in measured):
        raise SystemExit(f"steps {measured} logged no num_tokens: {sorted(log.tokens)}")
    pair_tokens = [2 * len(p) + len(c) + len(r)
                   for p, c, r in zip(pairs["prompt_ids"], pairs["chosen_ids"], pairs["rejected_ids"])]
    result = {
        "load_s": round(load_s, 3),
        "peak_rss_gb": round(peak_rss_gb(), 3),
        "rss_after_load_gb": round(rss_after_load, 3),
        "tokens_per_s": round(statistics.median(log.tokens[s] / log.seconds[s] for s in measured), 2),
        "step_s_all": [round(log.seconds[s], 3) for s in measured],
        "step_tokens": [log.tokens[s] for s in measured],
        "loss_by_step": [log.loss[s] for s in sorted(log.loss)],
        "pairs_per_step": args.pairs,
        "threads": args.threads,
        "table_pairs": len(pairs),
        "table_tokens": sum(pair_tokens),
        "precompute_ref_log_probs": args.precompute,
        "trl": trl.__version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }
    if args.precompute:
        result.update({"precompute_s": round(trainer.precompute_s, 3), "precompute_documents": 2 * len(pairs),
                       "precompute_tokens": sum(pair_tokens)})
    print(json.dumps(result), flush=True)
    mode = "precompute_ref_log_probs" if args.precompute else "reference forward each step"
    print(f"| TRL {trl.__version__} DPOTrainer, LoRA r 8, {mode}, {args.threads} threads | {args.pairs} pairs/step "
          f"| {result['load_s']:.1f} | {result['peak_rss_gb']:.2f} | {result['tokens_per_s']:.1f} |", file=sys.stderr)


if __name__ == "__main__":
    main()
