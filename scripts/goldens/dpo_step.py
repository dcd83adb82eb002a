#!/usr/bin/env python3
"""DPO-step goldens (issue 16): one preference step of a PEFT LoRA policy on the tiny fixtures, for each pref_loss:
the loss, the reward metrics, every response's summed log-probs under the policy and the reference, and every
adapter gradient (autograd of the loss, the mean over the batch of pairs).

The policy is PEFT LoRA with non-zero random A and B (seeded); the reference is the base model, the policy with its
adapters disabled, as LLaMA-Factory does for LoRA without ref_model (src/llamafactory/train/trainer_utils.py
create_ref_model, lines 136-138: ref_model = None; train/dpo/trainer.py compute_reference_log_probs, lines 262-264:
disable_adapter(); lines cited at hiyouga/LLaMA-Factory ff6d4d12).

sigmoid, hinge and ipo run TRL 1.13's DPOTrainer as a user would: built from a prompt / chosen / rejected Dataset (its
own prompt extraction, EOS check and tokenization, through a word-level tokenizer over the fixture's vocabulary) and a
peft_config (it wraps the base model itself, so its reference is adapters-disabled too); its DataCollatorForPreference
makes the batch and its compute_loss (DPOTrainer._compute_loss: policy and reference forwards, loss, metrics) runs on
it, then autograd. Every case is also computed with LLaMA-Factory's formulas on the policy's logits
(preference_losses.llamafactory: trainer.py concatenated_forward 218-252, odds_ratio_loss 150-158, simpo_loss 160-166,
compute_preference_loss 187-216, get_batch_loss_metrics 276-317; trainer_utils.get_batch_logps 592-636), and those are
the goldens; the script asserts that TRL agrees where the conventions do:
  - sigmoid, hinge: loss, gradients and every metric;
  - ipo: loss and gradients (TRL 1.13 averages the log-ratios per token as LLaMA-Factory does, but its rewards/* and
    logps/* are of summed log-probs, LLaMA-Factory's of averaged ones);
  - sigmoid with pref_ftx: TRL 1.13's loss_type ["sigmoid", "sft"] weights its SFT term as one token-level mean over
    all chosen tokens of the batch, LLaMA-Factory as a mean over pairs of each chosen response's per-token mean; the
    script asserts the DPO parts agree and records both SFT terms;
  - cDPO label smoothing: TRL 1.13's sigmoid has none; orpo and simpo: not TRL losses. LLaMA-Factory's formulas only.

Usage: dpo_step.py HF_FIXTURES_DIR OUT_DIR   (checked-in copy: dl4j-ext/src/test/resources/goldens/dpo_step)
OUT_DIR/<family>/ holds the adapter (PEFT's save_pretrained: adapter_config.json + adapter_model.safetensors);
OUT_DIR/dpo_step.safetensors holds "<family>/<case>/d/<adapter tensor name as saved>"; metadata "spec" (JSON): per
family the LoRA settings, the pairs (prompt, chosen, rejected token ids; labels -100 on the prompt), each response's
summed policy and reference log-probs and its token count (rows 0..N-1 chosen, N..2N-1 rejected); per case the
pref_loss settings and per family the loss and LLaMA-Factory's metrics (batch means).
"""
import json
import sys
import tempfile
from pathlib import Path

import datasets
import peft
import torch
import transformers
import trl
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers
from trl import DPOConfig, DPOTrainer

from fixture_models import load_eager
from preference_losses import llamafactory, summed_logps

FAMILIES = {  # family: (r, alpha, targets, use_rslora)
    "qwen3": (4, 8, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], False),
    "llama": (2, 6, ["q_proj", "v_proj", "o_proj", "down_proj"], True),
}
CASES = [
    # name, pref_loss, beta, label_smoothing, simpo_gamma, ftx
    ("sigmoid", "sigmoid", 0.1, 0.0, 0.5, 0.0),
    ("sigmoid_ftx", "sigmoid", 0.1, 0.0, 0.5, 0.5),
    ("sigmoid_cdpo", "sigmoid", 0.3, 0.1, 0.5, 0.0),
    ("hinge", "hinge", 0.1, 0.0, 0.5, 0.0),
    ("ipo", "ipo", 0.5, 0.0, 0.5, 0.0),
    ("orpo", "orpo", 0.1, 0.0, 0.5, 0.0),
    ("simpo", "simpo", 2.0, 0.0, 0.5, 0.0),
]
PROMPT_LENS, CHOSEN_LENS, REJECTED_LENS = [2, 3, 4, 3], [3, 5, 2, 4], [4, 2, 5, 3]
# TRL and LLaMA-Factory agree on a loss within the bound for ours (1e-5): the same fp32 log-prob sums reach
# them in another order, and ipo squares its logit (2.27 here), so a 1e-6 bound held on one CPU and not on another
LOSS_ABS = 1e-5
EOS = 2  # every response ends with it, so TRL's "add EOS" leaves the text alone
METRICS = ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
           "logps/rejected"]
SAME_AS_TRL = {"sigmoid": ["loss", "grad"] + METRICS, "hinge": ["loss", "grad"] + METRICS, "ipo": ["loss", "grad"],
               "sigmoid_ftx": ["loss less each side's SFT term"] + METRICS}


def pairs(vocab):
    """Prompts of 2-4 tokens, responses of 2-5 ending in EOS, chosen and rejected of different lengths."""
    g = torch.Generator().manual_seed(16)

    def draw(length):
        return torch.randint(EOS + 1, vocab, (length,), generator=g).tolist()

    return [{"prompt": draw(p), "chosen": draw(c - 1) + [EOS], "rejected": draw(r - 1) + [EOS]}
            for p, c, r in zip(PROMPT_LENS, CHOSEN_LENS, REJECTED_LENS)]


def tokenizer(vocab):
    """Token i is the word <i>: the fixtures have no tokenizer, and TRL tokenizes the Dataset's text itself."""
    words = Tokenizer(models.WordLevel({f"<{i}>": i for i in range(vocab)}, unk_token="<0>"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=words, eos_token=f"<{EOS}>")


def text(ids):
    return "".join(f" <{i}>" for i in ids)


def trainer_for(case, base_dir, lora, dataset, tok, out_dir):
    _, loss_type, beta, _, _, ftx = case
    r, alpha, targets, rslora = lora
    base = load_eager(base_dir)
    loss_types, weights = ([loss_type, "sft"], [1.0, ftx]) if ftx > 0 else ([loss_type], None)
    args = DPOConfig(output_dir=out_dir, beta=beta, loss_type=loss_types, loss_weights=weights,
                     per_device_train_batch_size=len(PROMPT_LENS), use_cpu=True, bf16=False, report_to="none")
    return DPOTrainer(model=base, args=args, train_dataset=dataset, processing_class=tok,
                      peft_config=peft.LoraConfig(r=r, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0,
                                                  use_rslora=rslora, task_type="CAUSAL_LM"))


def adapter_grads(model):
    grads = {}
    for name, p in model.named_parameters():
        if p.requires_grad:
            grads[name.replace(".default", "")] = p.grad.detach().clone()
            p.grad = None
        elif p.grad is not None:
            raise SystemExit(f"{name} is frozen but has a gradient")
    return grads


def run_family(family, base_dir, out, tensors, spec):
    lora = FAMILIES[family]
    vocab = transformers.AutoConfig.from_pretrained(base_dir).vocab_size
    batch_pairs = pairs(vocab)
    n = len(batch_pairs)
    tok = tokenizer(vocab)
    dataset = datasets.Dataset.from_list([{"prompt": text(p["prompt"]).lstrip(), "chosen": text(p["chosen"]),
                                           "rejected": text(p["rejected"])} for p in batch_pairs])
    g = torch.Generator().manual_seed(11)
    adapter = None
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            name, loss_type, beta, ls, gamma, ftx = case
            trainer = trainer_for(case, base_dir, lora, dataset, tok, tmp)
            model = trainer.model
            if adapter is None:  # PEFT inits B = 0 (policy = reference): random A and B, the same in every case
                adapter = {k: torch.randn(p.shape, generator=g) * 0.3
                           for k, p in model.named_parameters() if p.requires_grad}
            with torch.no_grad():
                for k, p in model.named_parameters():
                    if p.requires_grad:
                        p.copy_(adapter[k])
            if not results:
                model.save_pretrained(out / family)
                (out / family / "README.md").unlink(missing_ok=True)  # PEFT's model-card stub
            rows = [trainer.train_dataset[i] for i in range(n)]
            for row, p in zip(rows, batch_pairs):
                assert (row["prompt_ids"], row["chosen_ids"], row["rejected_ids"]) == \
                       (p["prompt"], p["chosen"], p["rejected"]), (family, row)
            batch = trainer.data_collator(rows)  # [chosen..., rejected...], right-padded

            # LLaMA-Factory's formulas on the same model and batch: the goldens
            input_ids, completion = batch["input_ids"], batch["completion_mask"]
            with torch.no_grad(), model.disable_adapter():
                ref_logits = model(input_ids=input_ids, attention_mask=batch["attention_mask"]).logits
            ref_sums, _ = summed_logps(ref_logits, input_ids, completion)
            logits = model(input_ids=input_ids, attention_mask=batch["attention_mask"]).logits
            loss, metrics = llamafactory(case, logits, input_ids, completion, ref_sums)
            loss.backward()
            grads = adapter_grads(model)
            sums, lengths = summed_logps(logits.detach(), input_ids, completion)
            results[name] = {"loss": loss.item(), "metrics": metrics}

            checked = SAME_AS_TRL.get(name, [])
            if checked:
                loss_trl = trainer.compute_loss(model, batch)
                loss_trl.backward()
                grads_trl = adapter_grads(model)
                metrics_trl = {k: v[-1] for k, v in trainer._metrics["train"].items()}
                if ftx > 0:  # each side less its own SFT term: what is left must agree
                    sft_llamafactory = (-(sums[:n] / lengths[:n])).mean().item()
                    sft_trl = (-sums[:n].sum() / lengths[:n].sum()).item()
                    results[name].update({"sft_llamafactory": sft_llamafactory, "sft_trl_1_13": sft_trl})
                    assert abs((loss_trl.item() - ftx * sft_trl) - (loss.item() - ftx * sft_llamafactory)) < LOSS_ABS, \
                        (family, name, loss_trl.item(), loss.item())
                else:
                    assert abs(loss_trl.item() - loss.item()) < LOSS_ABS, (family, name, loss_trl.item(), loss.item())
                    for k, want in grads.items():
                        scale = want.abs().max().item()
                        assert (grads_trl[k] - want).abs().max().item() <= 1e-5 * scale, (family, name, k)
                for k in checked:
                    if k in metrics:
                        assert abs(metrics_trl[k] - metrics[k]) < 1e-5, (family, name, k, metrics_trl[k], metrics[k])
            for k, grad in grads.items():
                tensors[f"{family}/{name}/d/{k}"] = grad.contiguous()
            print(f"{family:6s} {name:13s} loss {loss.item():.6f}  acc {metrics['rewards/accuracies']:.2f}  "
                  f"margin {metrics['rewards/margins']:+.5f}  TRL-checked {checked}")
    r, alpha, targets, rslora = lora
    spec["families"][family] = {  # the policy's log-probs are the same in every case: one adapter
        "rank": r, "alpha": alpha, "targets": targets, "use_rslora": rslora, "pairs": batch_pairs,
        "policy_logps": sums.tolist(), "ref_logps": ref_sums.tolist(), "tokens": lengths.tolist()}
    return results


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    tensors, spec = {}, {"families": {}, "cases": []}
    results = {family: run_family(family, src / family, out, tensors, spec) for family in FAMILIES}
    for name, loss_type, beta, ls, gamma, ftx in CASES:
        spec["cases"].append({"name": name, "pref_loss": loss_type, "beta": beta, "label_smoothing": ls,
                              "simpo_gamma": gamma, "ftx": ftx, "equal_to_trl_1_13": SAME_AS_TRL.get(name, []),
                              "results": {family: results[family][name] for family in FAMILIES}})
    save_file(tensors, str(out / "dpo_step.safetensors"),
              metadata={"spec": json.dumps(spec), "trl": trl.__version__, "peft": peft.__version__,
                        "torch": torch.__version__})
    print("ok", out, len(tensors), "tensors")


if __name__ == "__main__":
    main()
