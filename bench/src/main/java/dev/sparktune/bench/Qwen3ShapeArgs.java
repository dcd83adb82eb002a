package dev.sparktune.bench;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;

/**
 * The model shape the micro-benchmarks and their reference scripts take on the command line, in this order: HIDDEN
 * LAYERS HEADS KV_HEADS INTERMEDIATE VOCAB (bench/generate.sh, bench/train-step.sh).
 */
final class Qwen3ShapeArgs {
    private Qwen3ShapeArgs() {}

    /** A Qwen3 config (head_dim hidden / heads, tied embeddings) of the six arguments from {@code args[first]}. */
    static ModelConfig parse(String[] args, int first) {
        return ModelInit.config(
                "Qwen3ForCausalLM",
                Integer.parseInt(args[first + 5]),
                Integer.parseInt(args[first]),
                Integer.parseInt(args[first + 4]),
                Integer.parseInt(args[first + 1]),
                Integer.parseInt(args[first + 2]),
                Integer.parseInt(args[first + 3]),
                null,
                true);
    }
}
