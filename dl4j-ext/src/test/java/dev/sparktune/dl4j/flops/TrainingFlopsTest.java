package dev.sparktune.dl4j.flops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;
import org.junit.jupiter.api.Test;

class TrainingFlopsTest {
    static ModelConfig qwen3(boolean tied) {
        return HfConfigReader.parse("""
                {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 1000, "hidden_size": 64,
                 "intermediate_size": 192, "num_hidden_layers": 4, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "head_dim": 32, "tie_word_embeddings": %s,
                 "max_position_embeddings": 512}""".formatted(tied), "test");
    }

    static final int T = 256;
    // per layer: q 64x128, k 64x64, v 64x64, o 128x64, gate/up/down 3 x 64x192
    static final long LAYER = 64 * 128 + 2 * 64 * 64 + 128 * 64 + 3 * 64 * 192;
    static final long HEAD = 1000 * 64;
    static final double ATTN = 4.0 * 32 * T; // H·Q·T

    @Test
    void fullFineTuningIsPalmsSixNPlusTwelveLhqt() {
        for (boolean tied : new boolean[] {true, false}) {
            long n = 4 * LAYER + HEAD; // a tied embedding counts once, as the lm_head
            assertEquals(
                    6.0 * n + 12.0 * 4 * ATTN,
                    TrainingFlops.of(qwen3(tied), name -> true, 0).perToken(T),
                    1e-6,
                    "tied " + tied);
        }
    }

    @Test
    void aSparseLayerCountsTheRouterAndTheKExpertsEachTokenRuns() {
        // qwen3's shape with layers 1-3 sparse: a router 8x64 and 8 experts of 3 x 64x48, 2 per token
        ModelConfig moe = HfConfigReader.parse("""
                {"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": 1000, "hidden_size": 64,
                 "intermediate_size": 192, "num_hidden_layers": 4, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "head_dim": 32, "tie_word_embeddings": true,
                 "max_position_embeddings": 512, "num_experts": 8, "num_experts_per_tok": 2,
                 "moe_intermediate_size": 48, "mlp_only_layers": [0]}""", "test");
        long attention = 64 * 128 + 2 * 64 * 64 + 128 * 64;
        long sparse = attention + 8 * 64 + 2 * 3 * 64 * 48;
        long n = LAYER + 3 * sparse + HEAD;
        assertEquals(
                6.0 * n + 12.0 * 4 * ATTN,
                TrainingFlops.of(moe, name -> true, 0).perToken(T),
                1e-6);
    }

    @Test
    void loraAndFreezeCountOnlyWhatTheirBackwardNeeds() {
        long n = 4 * LAYER + HEAD;
        long adapters = 12_345;
        assertEquals(
                4.0 * n + 6.0 * adapters + 12.0 * 4 * ATTN,
                TrainingFlops.of(qwen3(true), name -> false, adapters).perToken(T),
                1e-6,
                "lora");
        // freeze: only the last layer: input gradients from the head down to layer 3, weight gradients of layer 3
        double lastLayer = 2.0 * n + 4.0 * 4 * ATTN + (2.0 * HEAD + 2.0 * LAYER + 8.0 * ATTN) + 2.0 * LAYER;
        assertEquals(
                lastLayer,
                TrainingFlops.of(qwen3(false), name -> name.startsWith("model.layers.3."), 0)
                        .perToken(T),
                1e-6,
                "freeze, last layer");
        assertTrue(lastLayer < TrainingFlops.of(qwen3(false), name -> true, 0).perToken(T));
    }

    @Test
    void usefulFlopsOfAPackedRowCountEachDocumentsOwnKeysAndNoPadding() {
        TrainingFlops flops = TrainingFlops.of(qwen3(true), name -> true, 0);
        long n = 4 * LAYER + HEAD;
        double perKey = 12.0 * 4 * 4 * 32; // 12·L·H·Q
        // one document filling the row: exactly T tokens at the model FLOPs per token
        assertEquals(T * flops.perToken(T), flops.perRow(new int[] {T}), 1e-3);
        // documents of 100, 50 and 6 tokens (100 pad positions carry nothing): each attends its own keys only
        double expected = 0;
        for (int d : new int[] {100, 50, 6}) {
            expected += d * (6.0 * n + perKey * d);
        }
        assertEquals(expected, flops.perRow(new int[] {100, 50, 6}), 1e-3);
        assertTrue(flops.perRow(new int[] {100, 50, 6}) < 156 * flops.perToken(T));
    }

    @Test
    void theGemmPeakIsAMeasuredRate() {
        double peak = GemmPeak.measure(256, 3);
        assertTrue(peak > 1e8 && peak < 1e13, "fp32 GEMM FLOP/s on this machine: " + peak);
    }
}
