package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Timing probe, off by default (-Dsparktune.bench=true): one Qwen3 decoder layer fwd+bwd at docs/BENCHMARKS.md's
 * reference shape (C=512, 8/4 heads, inter 1536, B=2, T=512; torch 2.13 eager: 182 ms), and the chunked lm_head +
 * cross-entropy at V=151,669 over 1,024 tokens (torch: 5-6 s).
 */
@EnabledIfSystemProperty(named = "sparktune.bench", matches = "true")
class DecoderLayerBench {
    @Test
    void decoderLayerAndLmHead() {
        ModelConfig cfg = HfConfigReader.parse("""
                {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 151669, "hidden_size": 512,
                 "intermediate_size": 1536, "num_hidden_layers": 1, "num_attention_heads": 8,
                 "num_key_value_heads": 4, "head_dim": 64, "tie_word_embeddings": true}""", "bench");
        int batch = 2;
        int seqLen = 512;
        ParamLayout layout = HfParamNames.layout(cfg);
        INDArray params = Nd4j.randn(DataType.FLOAT, layout.totalLength()).muli(0.02);
        INDArray grads = layout.allocate();
        LayerParams root = new LayerParams(layout, params, grads, "");
        DecoderLayer layer = new DecoderLayer(cfg, root.child(HfParamNames.layerPrefix(0)), batch, seqLen);
        PackedBatch packed = PackedBatch.fromDocLens(seqLen, new int[][] {{200, 312}, {512}});
        INDArray x = Nd4j.randn(DataType.FLOAT, batch * seqLen, 512);
        INDArray dy = Nd4j.randn(DataType.FLOAT, batch * seqLen, 512);
        for (int i = 0; i < 3; i++) {
            layer.forward(x, packed);
            layer.backward(dy);
        }
        int reps = 5;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            layer.forward(x, packed);
            layer.backward(dy);
        }
        double ms = (System.nanoTime() - t0) / 1e6 / reps;
        System.out.printf("[bench] decoder layer fwd+bwd (B=2, T=512, docs 200+312 | 512): %.1f ms%n", ms);

        LayerParams lp = root.child(HfParamNames.layerPrefix(0));
        Attention attn = new Attention(cfg, lp.child("self_attn."), batch, seqLen);
        SwiGluMlp mlp = new SwiGluMlp(lp.child("mlp."), batch * seqLen);
        for (int i = 0; i < 2; i++) {
            attn.forward(x, packed);
            attn.backward(dy);
            mlp.forward(x);
            mlp.backward(dy);
        }
        long ta = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            attn.forward(x, packed);
            attn.backward(dy);
        }
        long tm = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            mlp.forward(x);
            mlp.backward(dy);
        }
        long te = System.nanoTime();
        System.out.printf(
                "[bench]   of which attention %.1f ms, mlp %.1f ms%n", (tm - ta) / 1e6 / reps, (te - tm) / 1e6 / reps);

        INDArray w = layout.view(params, "model.embed_tokens.weight");
        INDArray dw = layout.view(grads, "model.embed_tokens.weight");
        LmHeadLoss head = new LmHeadLoss("lm_head", w, dw, batch * seqLen, 128);
        int[] targets = new int[batch * seqLen];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = (i * 7919) % 151669;
        }
        long t1 = System.nanoTime();
        double loss = head.forwardBackward(x, targets, targets.length);
        System.out.printf(
                "[bench] chunked lm_head + CE fwd+bwd (V=151669, 1024 tokens): %.2f s (loss %.3f)%n",
                (System.nanoTime() - t1) / 1e9, loss);
    }
}
