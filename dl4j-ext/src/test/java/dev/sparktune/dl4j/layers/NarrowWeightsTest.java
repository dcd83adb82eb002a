package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Frozen weights kept in the checkpoint's bf16 / fp16 and widened per product give bit-identical losses and
 * gradients to the same values stored in fp32 (widening is exact): the lm_head by vocabulary piece, and whole LoRA
 * models with tied and untied embeddings, biases, q/k norms, dropout, and activation checkpointing (Gemma 3's
 * (1 + w) norms and scaled embeddings, Qwen3-MoE's router and experts on narrow weights too).
 */
class NarrowWeightsTest {
    static final int B = 2;
    static final int T = 16;

    @Test
    void lmHeadOverBf16PiecesEqualsFp32() {
        Random r = new Random(5);
        int n = 10;
        int c = 8;
        int vocab = 37;
        INDArray h = Nd4j.rand(DataType.FLOAT, n, c).subi(0.5);
        INDArray wide = Nd4j.rand(DataType.FLOAT, vocab, c).subi(0.5).castTo(DataType.BFLOAT16);
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = i % 4 == 1 ? LmHeadLoss.IGNORE : r.nextInt(vocab);
        }
        for (DataType narrow : new DataType[] {DataType.BFLOAT16, DataType.HALF}) {
            INDArray stored = wide.castTo(narrow);
            INDArray fp32 = stored.castTo(DataType.FLOAT);
            LmHeadLoss reference = new LmHeadLoss("lm_head", fp32, null, n, 3, 5L * c, false);
            LmHeadLoss widened = new LmHeadLoss("lm_head", stored, null, n, 3, 5L * c, false);
            assertEquals(
                    reference.forwardBackward(h, targets, 7),
                    widened.forwardBackward(h, targets, 7),
                    0.0,
                    narrow + ": loss");
            assertArrayEquals(
                    reference.dHidden().ravel().toFloatVector(),
                    widened.dHidden().ravel().toFloatVector(),
                    narrow + ": dHidden");
        }
    }

    @Test
    void loraOnANarrowBaseIsBitIdenticalToFp32() {
        String[] configs = {"""
            {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 90, "hidden_size": 32, "intermediate_size": 48,
             "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
             "tie_word_embeddings": true, "max_position_embeddings": 64}""", """
            {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 70, "hidden_size": 24, "intermediate_size": 40,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
             "tie_word_embeddings": false, "max_position_embeddings": 64}""", """
            {"architectures": ["Phi3ForCausalLM"], "vocab_size": 80, "hidden_size": 32, "intermediate_size": 40,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 0,
             "partial_rotary_factor": 0.5, "tie_word_embeddings": true, "max_position_embeddings": 64}""", """
            {"architectures": ["Gemma3ForCausalLM"], "vocab_size": 80, "hidden_size": 32, "intermediate_size": 40,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
             "sliding_window": 5, "layer_types": ["sliding_attention", "full_attention"],
             "query_pre_attn_scalar": 12, "max_position_embeddings": 64}""", """
            {"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": 80, "hidden_size": 32, "intermediate_size": 40,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
             "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16, "norm_topk_prob": true,
             "max_position_embeddings": 64}"""};
        for (String json : configs) {
            ModelConfig config = HfConfigReader.parse(json, "test");
            HfModelDir.Loaded model = ModelInit.random(config, 2, 0.2);
            for (DataType narrow : new DataType[] {DataType.BFLOAT16, DataType.HALF}) {
                INDArray stored = model.params().castTo(narrow);
                INDArray fp32 = stored.castTo(DataType.FLOAT);
                for (boolean checkpointing : new boolean[] {false, true}) {
                    String what = config.spec().architecture() + " " + narrow + " checkpointing=" + checkpointing;
                    Run reference = run(config, model, fp32, checkpointing);
                    Run widened = run(config, model, stored, checkpointing);
                    assertArrayEquals(reference.losses, widened.losses, what + ": losses");
                    assertTrue(reference.grads.amaxNumber().doubleValue() > 0, what + ": adapters get gradients");
                    assertArrayEquals(
                            reference.grads.toFloatVector(),
                            widened.grads.toFloatVector(),
                            what + ": adapter gradients");
                }
            }
        }
    }

    private record Run(double[] losses, INDArray grads) {}

    private static Run run(ModelConfig config, HfModelDir.Loaded model, INDArray baseParams, boolean checkpointing) {
        LoraAdapters adapters = new LoraAdapters(config, LoraConfig.of(4, 8, 0.2, "all", false), 9);
        INDArray params = adapters.init(5).addi(0.03); // B = 0 at init: give A its gradients too
        INDArray grads = adapters.layout().allocate();
        CausalLm lm = new CausalLm(
                config,
                new LayerParams(model.layout(), baseParams, null, ""),
                null,
                B,
                T,
                12,
                adapters.projections(params, grads),
                LayerHooks.NONE,
                checkpointing);
        Random r = new Random(11);
        double[] losses = new double[2];
        int[][][] packings = {{{9, 7}, {16}}, {{3, 5, 8}, {12}}};
        for (int m = 0; m < losses.length; m++) {
            PackedBatch packed = PackedBatch.fromDocLens(T, packings[m]);
            int[] ids = new int[B * T];
            int[] labels = new int[B * T];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(config.vocabSize());
                labels[i] = r.nextInt(4) == 0 ? LmHeadLoss.IGNORE : ids[i];
            }
            adapters.dropoutKeys().set(new long[] {DropoutKeys.of(m, 1), DropoutKeys.of(m, 2)});
            losses[m] = lm.forwardBackward(ids, CausalLm.targets(labels, packed), packed, 40);
        }
        return new Run(losses, grads);
    }

    @Test
    void trainedWeightsMustBeFp32() {
        INDArray w = Nd4j.rand(DataType.FLOAT, 4, 3).castTo(DataType.BFLOAT16);
        String message = assertThrows(
                        IllegalArgumentException.class,
                        () -> new Linear("layer", w, null, Nd4j.zeros(DataType.FLOAT, 4, 3), null, 2))
                .getMessage();
        assertTrue(message.contains("trained weight must be FLOAT"), message);
    }
}
