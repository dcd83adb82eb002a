"""The tiny fixture models the goldens run: the families model_safetensors.py writes, and how a script loads one."""
import torch
import transformers

FAMILIES = ["llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3"]


def load_eager(model_dir):
    """The checkpoint in fp32 with transformers' eager attention, the attention our layers are checked against."""
    return transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32,
                                                             attn_implementation="eager")
