package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.testkit.PublishedConfigs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The activation plan a launch is checked against equals, byte for byte, what a built model allocates: every family
 * shape (q/k norms, biases, sliding window, Gemma 3's extra norms), full and LoRA (with and without dropout, some targets only), with and
 * without activation checkpointing, forward-only, fp32 and bf16-stored frozen weights, B×T shapes with a partial
 * lm_head chunk.
 */
class ActivationPlanTest {
    private static final String[] CONFIGS = {"""
        {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 200, "hidden_size": 32, "intermediate_size": 48,
         "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
         "tie_word_embeddings": true, "max_position_embeddings": 64}""", """
        {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 96, "hidden_size": 32, "intermediate_size": 40,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4,
         "tie_word_embeddings": false, "max_position_embeddings": 64}""", """
        {"architectures": ["LlamaForCausalLM"], "vocab_size": 64, "hidden_size": 24, "intermediate_size": 56,
         "num_hidden_layers": 2, "num_attention_heads": 6, "num_key_value_heads": 2, "attention_bias": true,
         "mlp_bias": true, "tie_word_embeddings": false, "max_position_embeddings": 64}""", """
        {"architectures": ["MistralForCausalLM"], "vocab_size": 80, "hidden_size": 32, "intermediate_size": 48,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "sliding_window": 5,
         "tie_word_embeddings": false, "max_position_embeddings": 64}""", """
        {"architectures": ["Gemma3ForCausalLM"], "vocab_size": 72, "hidden_size": 32, "intermediate_size": 48,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 12,
         "sliding_window": 5, "layer_types": ["sliding_attention", "full_attention"],
         "max_position_embeddings": 64}""", """
        {"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
         "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
         "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16, "mlp_only_layers": [1],
         "max_position_embeddings": 64}"""};

    @Test
    void planEqualsWhatTheModelAllocatesInEveryMode() {
        List<String> checked = new ArrayList<>();
        for (String json : CONFIGS) {
            ModelConfig config = HfConfigReader.parse(json, "test");
            HfModelDir.Loaded model = ModelInit.random(config, 1, 0.1);
            INDArray narrowParams = model.params().castTo(DataType.BFLOAT16);
            List<LoraConfig> loras = new ArrayList<>();
            loras.add(null);
            // Qwen3-MoE: LoRA on the attention only (LoraAdapters refuses its MLP and, with dense layers, all)
            boolean moe = config.isMoe();
            loras.add(LoraConfig.of(4, 8, 0, moe ? "q_proj,k_proj,v_proj,o_proj" : "all", false));
            loras.add(LoraConfig.of(2, 8, 0.1, moe ? "q_proj,v_proj" : "q_proj,v_proj,down_proj", false));
            for (LoraConfig lora : loras) {
                for (boolean checkpointing : new boolean[] {false, true}) {
                    for (int[] shape : new int[][] {{1, 12}, {2, 7}}) {
                        // a chunk of 5 token rows leaves a partial last chunk; full fine-tuning keeps fp32
                        for (boolean narrow : lora == null ? new boolean[] {false} : new boolean[] {false, true}) {
                            INDArray params = narrow ? narrowParams : model.params();
                            CausalLm lm = build(config, model, params, lora, shape[0], shape[1], checkpointing);
                            ActivationPlan plan = ActivationPlan.of(
                                    config, shape[0], shape[1], 5, lora, checkpointing, name -> narrow);
                            String what = config.spec().architecture() + " lora=" + lora + " checkpointing="
                                    + checkpointing + " B×T=" + shape[0] + "×" + shape[1] + " bf16 base=" + narrow;
                            assertEquals(lm.keptBytesPerLayer(), plan.keptPerLayer(), what + ": kept per layer");
                            assertEquals(lm.scratchBytes(), plan.scratch(), what + ": scratch");
                            assertEquals(lm.activationBytes(), plan.total(), what + ": total");
                            checked.add(what);
                        }
                    }
                }
            }
        }
        assertEquals(CONFIGS.length * (2 + 2 * 2 * 2) * 2, checked.size());
    }

    @Test
    void forwardOnlyPlanEqualsWhatTheModelAllocates() {
        for (String json : CONFIGS) {
            ModelConfig config = HfConfigReader.parse(json, "test");
            HfModelDir.Loaded fp32 = ModelInit.random(config, 1, 0.1);
            HfModelDir.Loaded bf16 =
                    new HfModelDir.Loaded(config, fp32.layout(), fp32.params().castTo(DataType.BFLOAT16));
            for (HfModelDir.Loaded model : new HfModelDir.Loaded[] {fp32, bf16}) {
                for (int[] shape : new int[][] {{1, 12}, {2, 7}}) {
                    boolean narrow = model == bf16;
                    CausalLm lm = CausalLm.forwardOnly(model, shape[0], shape[1], 5);
                    ActivationPlan plan = ActivationPlan.forwardOnly(config, shape[0], shape[1], 5, name -> narrow);
                    String what = config.spec().architecture() + " forward-only B×T=" + shape[0] + "×" + shape[1]
                            + " bf16=" + narrow;
                    assertEquals(lm.keptBytesPerLayer(), plan.keptPerLayer(), what + ": kept per layer");
                    assertEquals(lm.activationBytes(), plan.total(), what + ": total");
                }
            }
        }
    }

    private static CausalLm build(
            ModelConfig config,
            HfModelDir.Loaded model,
            INDArray params,
            LoraConfig lora,
            int batch,
            int seqLen,
            boolean checkpointing) {
        LayerParams root;
        Projection.Factory projections;
        if (lora == null) {
            root = new LayerParams(model.layout(), params, model.layout().allocate(), "");
            projections = Projection.Factory.PLAIN;
        } else {
            LoraAdapters adapters = new LoraAdapters(config, lora, 3);
            root = new LayerParams(model.layout(), params, null, "");
            projections =
                    adapters.projections(adapters.init(1), adapters.layout().allocate());
        }
        return new CausalLm(config, root, null, batch, seqLen, 5, projections, LayerHooks.NONE, checkpointing);
    }

    @Test
    void aQwen3LayerKeepsLessPerTokenThanTorch() {
        ActivationPlan plan = ActivationPlan.of(
                PublishedConfigs.QWEN3_0_6B, 1, 1024, 1024, LoraConfig.of(8, 16, 0, "all", false), false, name -> true);
        // torch 2.13 + PEFT saves per token and layer: both norms' input and output (4C), q and k before and after
        // their norms (2·NH·D + 2·KV·D), v, rotated q and k (NH·D + KV·D... counted once with sdpa's q/k/v),
        // sdpa's output and o_proj's contiguous input (2·NH·D), gate, up, silu(gate), their product (4I)
        long torchFloatsPerToken = 4 * 1024 + 2 * 2048 + 2 * 1024 + 1024 + 2048 + 1024 + 2 * 2048 + 4 * 3072;
        double oursPerToken = plan.keptPerLayer() / 4.0 / 1024;
        assertTrue(
                oursPerToken < torchFloatsPerToken,
                "kept floats per token and layer: ours " + oursPerToken + ", torch " + torchFloatsPerToken);
    }
}
