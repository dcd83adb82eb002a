#!/usr/bin/env python3
"""PyTorch-autograd goldens for dl4j-ext's layers (tiny fp32 configs, transformers' own modules where one exists).

Usage: model_layers.py OUT_FILE   (checked-in copy: dl4j-ext/src/test/resources/goldens/layers.safetensors)

One safetensors file; tensor names are "<case>/<tensor>": inputs ("x", "dy" = upstream gradient), parameters under
their HF names relative to the layer ("q_proj.weight"), outputs ("y", "loss"), input gradients ("dx") and parameter
gradients ("d/<param name>"). The "__metadata__" entry "cases" is JSON: per case its type, sizes, integer inputs
(ids, positions, doc_lens, targets) and, for attention, the HF config.json the Java side parses.
Packed attention is checked here against transformers run on each document alone before anything is written.
"""
import json
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
import transformers
from transformers.models.llama import modeling_llama
from transformers.models.qwen2 import modeling_qwen2
from transformers.models.qwen3 import modeling_qwen3
from transformers.models.mistral import modeling_mistral

torch.manual_seed(20261122)
tensors = {}
cases = {}


def put(case, name, t):
    tensors[f"{case}/{name}"] = t.detach().to(torch.float32).contiguous().clone()


def rand(*shape, scale=1.0):
    return torch.randn(*shape) * scale


def save_params_and_grads(case, module):
    for name, p in module.named_parameters():
        put(case, name, p)
        put(case, "d/" + name, p.grad)


def save_backward(case, module, x):
    """Runs module on x and back-propagates a random upstream gradient dy; saves x, dy, y and dx."""
    y = module(x)
    dy = rand(*y.shape)
    y.backward(dy)
    put(case, "x", x); put(case, "dy", dy); put(case, "y", y); put(case, "dx", x.grad)


def linear_case(case, bias):
    lin = torch.nn.Linear(12, 10, bias=bias)
    save_backward(case, lin, rand(7, 12).requires_grad_())
    save_params_and_grads(case, lin)
    cases[case] = {"type": "linear", "rows": 7, "bias": bias}


def rmsnorm_case(case):
    norm = modeling_qwen3.Qwen3RMSNorm(16, eps=1e-6)
    with torch.no_grad():
        norm.weight.copy_(1 + 0.3 * torch.randn(16))
    save_backward(case, norm, rand(7, 16, scale=2.0).requires_grad_())
    save_params_and_grads(case, norm)
    cases[case] = {"type": "rmsnorm", "rows": 7, "eps": 1e-6}


def rope_case(case, rope_parameters, heads, head_dim, positions):
    cfg = transformers.LlamaConfig(hidden_size=heads * head_dim, num_attention_heads=heads, head_dim=head_dim,
                                   rope_parameters=rope_parameters, max_position_embeddings=128)
    rotary = modeling_llama.LlamaRotaryEmbedding(cfg)
    n = len(positions)
    x = rand(1, n, heads, head_dim).requires_grad_()
    cos, sin = rotary(x, torch.tensor([positions]))
    y, _ = modeling_llama.apply_rotary_pos_emb(x, x, cos, sin, unsqueeze_dim=2)
    dy = rand(1, n, heads, head_dim)
    y.backward(dy)
    put(case, "x", x.reshape(n, -1)); put(case, "dy", dy.reshape(n, -1)); put(case, "y", y.reshape(n, -1))
    put(case, "dx", x.grad.reshape(n, -1))
    cases[case] = {"type": "rope", "heads": heads, "head_dim": head_dim, "positions": positions,
                   "config": json.loads(cfg.to_json_string()) | {"architectures": ["LlamaForCausalLM"]}}


def mlp_case(case):
    cfg = transformers.Qwen3Config(hidden_size=16, intermediate_size=24)
    mlp = modeling_qwen3.Qwen3MLP(cfg)
    save_backward(case, mlp, rand(7, 16).requires_grad_())
    save_params_and_grads(case, mlp)
    cases[case] = {"type": "mlp", "rows": 7}


def embedding_case(case):
    emb = torch.nn.Embedding(11, 6)
    ids = [3, 0, 10, 3, 7, 7, 7, 1, 3]
    y = emb(torch.tensor(ids))
    dy = rand(len(ids), 6)
    y.backward(dy)
    put(case, "dy", dy); put(case, "y", y)
    save_params_and_grads(case, emb)
    cases[case] = {"type": "embedding", "ids": ids}


def packed_mask(doc_lens, seq_len, window):
    """[B, 1, T, T] additive mask: causal within each block (docs, then one padding block), none across."""
    bsz = len(doc_lens)
    mask = torch.full((bsz, 1, seq_len, seq_len), torch.finfo(torch.float32).min)
    positions = []
    for b, lens in enumerate(doc_lens):
        blocks = list(lens) + ([seq_len - sum(lens)] if sum(lens) < seq_len else [])
        start = 0
        for n in blocks:
            for i in range(n):
                positions.append(i)
                for j in range(i + 1):
                    if window is None or i - j < window:
                        mask[b, 0, start + i, start + j] = 0.0
            start += n
    return mask, torch.tensor(positions).reshape(bsz, seq_len)


def attention_case(case, family, arch, cfg, doc_lens, seq_len=8):
    cfg._attn_implementation = "eager"
    mod = {"llama": modeling_llama, "qwen2": modeling_qwen2, "qwen3": modeling_qwen3, "mistral": modeling_mistral}[family]
    attn_cls = getattr(mod, {"llama": "LlamaAttention", "qwen2": "Qwen2Attention", "qwen3": "Qwen3Attention",
                             "mistral": "MistralAttention"}[family])
    rot_cls = getattr(mod, {"llama": "LlamaRotaryEmbedding", "qwen2": "Qwen2RotaryEmbedding",
                            "qwen3": "Qwen3RotaryEmbedding", "mistral": "MistralRotaryEmbedding"}[family])
    attn = attn_cls(cfg, layer_idx=0)
    with torch.no_grad():
        for name, p in attn.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.5 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * p.shape[-1] ** -0.5)
    rotary = rot_cls(cfg)
    window = getattr(cfg, "sliding_window", None) if family == "mistral" else None
    bsz = len(doc_lens)
    mask, positions = packed_mask(doc_lens, seq_len, window)
    x = rand(bsz, seq_len, cfg.hidden_size).requires_grad_()
    cos, sin = rotary(x, positions)
    y, _ = attn(hidden_states=x, position_embeddings=(cos, sin), attention_mask=mask)
    dy = rand(*y.shape)
    y.backward(dy)

    # packed result == each document run alone with an ordinary causal mask
    with torch.no_grad():
        for b, lens in enumerate(doc_lens):
            start = 0
            for n in lens:
                xd = x[b:b + 1, start:start + n]
                m, pos = packed_mask([[n]], n, window)
                c, s = rotary(xd, pos)
                yd, _ = attn(hidden_states=xd, position_embeddings=(c, s), attention_mask=m)
                diff = (yd - y[b:b + 1, start:start + n]).abs().max().item()
                assert diff < 1e-5, f"{case}: packed vs per-document differ by {diff}"
                start += n

    c = cfg.hidden_size
    put(case, "x", x.reshape(-1, c)); put(case, "dy", dy.reshape(-1, c)); put(case, "y", y.reshape(-1, c))
    put(case, "dx", x.grad.reshape(-1, c))
    save_params_and_grads(case, attn)
    config = json.loads(cfg.to_json_string()) | {"architectures": [arch]}
    cases[case] = {"type": "attention", "batch": bsz, "seq_len": seq_len, "doc_lens": doc_lens,
                   "positions": positions.reshape(-1).tolist(), "config": config}


def lmhead_case(case):
    n, c, v = 10, 8, 37
    h = rand(n, c).requires_grad_()
    w = (rand(v, c) * 0.5).requires_grad_()
    targets = [5, -100, 36, 0, 5, -100, -100, 12, 3, 20]
    supervised = sum(t != -100 for t in targets)
    global_count = supervised + 3  # other micro-batches of the same global batch hold 3 more
    logits = h @ w.T
    loss = F.cross_entropy(logits, torch.tensor(targets), ignore_index=-100, reduction="sum") / global_count
    loss.backward()
    put(case, "x", h); put(case, "weight", w); put(case, "loss", loss.reshape(1)); put(case, "dx", h.grad)
    put(case, "d/weight", w.grad)
    cases[case] = {"type": "lmhead", "rows": n, "targets": targets, "token_count": global_count}


def lmhead_logps_case(case):
    """Per-token log-probs of the targets (the preference losses' input) and the gradient of any linear function of
    them, sum_i dlogp_i * logp_i: what a pair's loss sends back through each response token."""
    n, c, v = 10, 8, 37
    h = rand(n, c).requires_grad_()
    w = (rand(v, c) * 0.5).requires_grad_()
    targets = [5, -100, 36, 0, 5, -100, -100, 12, 3, 20]
    mask = torch.tensor([t != -100 for t in targets])
    logits = h @ w.T
    logps = torch.gather(logits.log_softmax(-1), 1, torch.tensor([max(t, 0) for t in targets]).unsqueeze(1))
    logps = logps.squeeze(1) * mask
    dlogps = rand(n) * mask  # e.g. a sigmoid DPO pair's -beta * (1 - sigma) / pairs on its chosen tokens
    (logps * dlogps).sum().backward()
    put(case, "x", h); put(case, "weight", w); put(case, "logps", logps); put(case, "dlogps", dlogps)
    put(case, "dx", h.grad); put(case, "d/weight", w.grad)
    cases[case] = {"type": "lmhead_logps", "rows": n, "targets": targets}


def lora_case(case, r, alpha, rslora):
    import peft

    class One(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(12, 10, bias=True)

        def forward(self, x):
            return self.lin(x)

    model = peft.get_peft_model(One(), peft.LoraConfig(r=r, lora_alpha=alpha, use_rslora=rslora, lora_dropout=0.0,
                                                       target_modules=["lin"]))
    lin = model.base_model.model.lin
    with torch.no_grad():
        lin.lora_B["default"].weight.copy_(torch.randn_like(lin.lora_B["default"].weight) * 0.5)  # PEFT inits B = 0
    save_backward(case, model, rand(7, 12).requires_grad_())
    put(case, "base.weight", lin.base_layer.weight); put(case, "base.bias", lin.base_layer.bias)
    assert lin.base_layer.weight.grad is None, "base must be frozen"
    for key in ["lora_A", "lora_B"]:
        w = getattr(lin, key)["default"].weight
        put(case, f"{key}.weight", w); put(case, f"d/{key}.weight", w.grad)
    cases[case] = {"type": "lora", "rows": 7, "rank": r, "alpha": alpha, "use_rslora": rslora,
                   "scaling": lin.scaling["default"]}


def main():
    out = sys.argv[1]
    linear_case("linear_bias", True)
    linear_case("linear", False)
    rmsnorm_case("rmsnorm")
    rope_case("rope_default", {"rope_type": "default", "rope_theta": 10000.0}, 3, 8, [0, 1, 2, 3, 0, 1, 2, 5, 6, 9])
    rope_case("rope_llama3", {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                              "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
              2, 16, [0, 1, 2, 0, 1, 17, 18, 19, 40, 41, 63, 100])
    mlp_case("mlp")
    embedding_case("embedding")
    common = dict(hidden_size=16, num_attention_heads=4, num_key_value_heads=2, intermediate_size=24,
                  num_hidden_layers=1, vocab_size=32, rms_norm_eps=1e-6, max_position_embeddings=64)
    docs = [[3, 5], [2, 4]]  # row 1 ends in a 2-token padding block
    attention_case("attn_qwen3", "qwen3", "Qwen3ForCausalLM", transformers.Qwen3Config(**common, head_dim=6), docs)
    attention_case("attn_qwen2", "qwen2", "Qwen2ForCausalLM", transformers.Qwen2Config(**common), docs)
    attention_case("attn_llama3", "llama", "LlamaForCausalLM", transformers.LlamaConfig(
        **common, attention_bias=True, rope_parameters={
            "rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8}), docs)
    attention_case("attn_mistral", "mistral", "MistralForCausalLM",
                   transformers.MistralConfig(**common, sliding_window=3), [[6, 2], [8]])
    lmhead_case("lmhead")
    lora_case("lora", 4, 8, False)
    lora_case("lora_rslora", 4, 6, True)
    lmhead_logps_case("lmhead_logps")
    save_file(tensors, out, metadata={"cases": json.dumps(cases), "torch": torch.__version__,
                                      "transformers": transformers.__version__, "version": "1"})
    print("ok", out, len(tensors), "tensors")


if __name__ == "__main__":
    main()
