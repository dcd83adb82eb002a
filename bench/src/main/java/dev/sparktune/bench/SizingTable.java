package dev.sparktune.bench;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.MemoryCheck;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The docs' sizing table, from the same memory plan a launch is checked against: for Qwen3 0.6B to 14B (published
 * configs), LoRA and full fine-tuning, each fsdp mode, the bytes one rank holds and the fewest ranks (one per
 * executor) that fit executors of 16, 32 and 64 GB of off-heap memory each, with a bf16 checkpoint, gradient
 * checkpointing, one row of SEQ tokens per micro-batch.
 *
 * <p>Usage: {@code SizingTable [SEQ]} (default 2048).
 */
public final class SizingTable {
    private static final long GB = 1_000_000_000L;
    private static final long[] EXECUTOR_GB = {16, 32, 64};
    private static final int MAX_RANKS = 256;

    private SizingTable() {}

    record Shape(String name, int hidden, int intermediate, int layers, int heads, boolean tied) {
        ModelConfig config() {
            return HfConfigReader.parse("""
                    {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 151936, "hidden_size": %d,
                     "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d,
                     "num_key_value_heads": 8, "head_dim": 128, "tie_word_embeddings": %b,
                     "max_position_embeddings": 40960}""".formatted(hidden, intermediate, layers, heads, tied), name);
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("Qwen3-0.6B", 1024, 3072, 28, 16, true),
            new Shape("Qwen3-1.7B", 2048, 6144, 28, 16, true),
            new Shape("Qwen3-4B", 2560, 9728, 36, 32, true),
            new Shape("Qwen3-8B", 4096, 12288, 36, 32, false),
            new Shape("Qwen3-14B", 5120, 17408, 40, 40, false));

    public static void main(String[] args) {
        int seq = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        System.out.printf(
                Locale.ROOT,
                "Per-rank memory plan (GB) with a bf16 checkpoint, gradient checkpointing, "
                        + "1 row x %d tokens per micro-batch, loss_chunk_tokens %d; the fewest ranks whose plan fits "
                        + "executors of 16 / 32 / 64 GB off-heap each (one rank per executor; '-' = not within %d)%n%n",
                seq,
                TrainConfig.builder()
                        .modelPath("m")
                        .table("t")
                        .outputDir("o")
                        .build()
                        .activations()
                        .lossChunkTokens(),
                MAX_RANKS);
        System.out.println("| model | params | fine-tuning | fsdp | 1 rank | 2 ranks | 8 ranks | ranks at 16 GB | "
                + "ranks at 32 GB | ranks at 64 GB |");
        System.out.println("|---|---:|---|---|---:|---:|---:|---:|---:|---:|");
        for (Shape shape : SHAPES) {
            ModelConfig model = shape.config();
            double billions = HfParamNames.layout(model).totalLength() / 1e9;
            for (FinetuningType type : List.of(FinetuningType.LORA, FinetuningType.FULL)) {
                for (Sharding sharding : Sharding.modes()) {
                    StringBuilder row = new StringBuilder(String.format(
                            Locale.ROOT,
                            "| %s | %.2fB | %s | %s |",
                            shape.name(),
                            billions,
                            type == FinetuningType.LORA ? "LoRA r 8, all linear" : "full",
                            sharding.key()));
                    for (int world : new int[] {1, 2, 8}) {
                        row.append(String.format(
                                Locale.ROOT, " %.1f |", perRank(model, type, sharding, world, seq) / (double) GB));
                    }
                    for (long budget : EXECUTOR_GB) {
                        int ranks = fewestRanks(model, type, sharding, seq, budget * GB);
                        row.append(ranks == 0 ? " - |" : " " + ranks + " |");
                    }
                    System.out.println(row);
                }
            }
        }
    }

    static long perRank(ModelConfig model, FinetuningType type, Sharding sharding, int world, int seq) {
        TrainConfig config = TrainConfig.builder()
                .modelPath("m")
                .table("t")
                .outputDir("o")
                .finetuningType(type)
                .lora(8, 16, 0, "all", false)
                .worldSize(world)
                .sharding(sharding)
                .build();
        return MemoryCheck.plan(config, model, DataType.BFLOAT16, seq).total();
    }

    /** The fewest ranks (powers of two) whose plan fits {@code budget}; 0 when none up to MAX_RANKS does. */
    static int fewestRanks(ModelConfig model, FinetuningType type, Sharding sharding, int seq, long budget) {
        for (int world = 1; world <= MAX_RANKS; world *= 2) {
            if (perRank(model, type, sharding, world, seq) <= budget) {
                return world;
            }
        }
        return 0;
    }
}
