"""The tiny fixture models the goldens run: the families model_safetensors.py writes, and how a script loads one."""
import torch
import transformers

FAMILIES = ["llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe"]


def load_eager(model_dir):
    """The checkpoint in fp32 with transformers' eager attention, the attention our layers are checked against."""
    return transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32,
                                                             attn_implementation="eager")


def checkpoint_named(named):
    """(name, tensor) pairs under the checkpoint's names, which our layout uses: transformers 5 holds Qwen3-MoE's
    experts fused in memory (experts.gate_up_proj [E, 2I, C], gate rows first; experts.down_proj [E, C, I]) and writes
    them per expert (experts.<e>.gate_proj / up_proj / down_proj.weight), as real checkpoints carry them."""
    for name, t in named:
        if name.endswith("mlp.experts.gate_up_proj"):
            base, inter = name[:-len("gate_up_proj")], t.shape[1] // 2
            for e in range(t.shape[0]):
                yield f"{base}{e}.gate_proj.weight", t[e, :inter]
                yield f"{base}{e}.up_proj.weight", t[e, inter:]
        elif name.endswith("mlp.experts.down_proj"):
            base = name[:-len("down_proj")]
            for e in range(t.shape[0]):
                yield f"{base}{e}.down_proj.weight", t[e]
        else:
            yield name, t
