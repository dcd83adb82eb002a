package dev.sparktune.dl4j.testkit;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;

/**
 * Real models' configs as their publishers ship them, for tests that size a real model (its activations, its memory
 * plan) without loading any weights.
 *
 * <p>Shared with the trainer's tests through dl4j-ext's test-jar. The bench's {@code SizingTable} writes the same
 * Qwen3 family from its own table of shapes: main code cannot read a test-jar.
 */
public final class PublishedConfigs {
    /** Qwen/Qwen3-0.6B's config.json, the fields the model reads. */
    public static final ModelConfig QWEN3_0_6B = HfConfigReader.parse("""
            {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 151936, "hidden_size": 1024,
             "intermediate_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16,
             "num_key_value_heads": 8, "head_dim": 128, "tie_word_embeddings": true,
             "max_position_embeddings": 40960}""", "Qwen3-0.6B");

    private PublishedConfigs() {}
}
