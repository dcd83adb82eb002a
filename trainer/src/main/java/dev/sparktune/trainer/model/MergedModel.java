package dev.sparktune.trainer.model;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A base model with an optional PEFT LoRA adapter, both on any Hadoop file system: merged in (W + s·B·A) for what
 * export saves and eval generates with (inference then runs the plain decoder), or beside frozen weights kept in the
 * checkpoint's dtype for what only scores ({@link #forwardOnly}).
 */
public final class MergedModel {
    private MergedModel() {}

    /**
     * @param adapterPath a PEFT adapter directory, or empty for the base model alone
     */
    public static HfModelDir.Loaded load(String modelPath, String adapterPath, Configuration conf) {
        HfModelDir.Loaded base =
                HfModelDir.load(HadoopModelDir.of(modelPath, conf).local());
        if (adapterPath == null || adapterPath.isEmpty()) {
            return base;
        }
        AdapterDirectory adapter = AdapterDirectory.of(adapterPath, conf);
        LoraAdapters adapters = new LoraAdapters(base.config(), adapter.config(), 0L);
        return new HfModelDir.Loaded(
                base.config(),
                base.layout(),
                adapters.merge(base.layout(), base.params(), adapters.load(adapter.local())));
    }

    /**
     * A forward-only model ({@link CausalLm#forwardOnly}) of the base with the adapter, for scoring. The frozen
     * weights stay in the checkpoint's dtype, bf16 / fp16 widened exactly just before each product (as the trainer's
     * LoRA path holds them): half the weight bytes of {@link #load}'s fp32 model, the same products. The adapter is
     * not merged (merging would round into bf16) but runs beside the base as PEFT's does, without dropout (PEFT's
     * eval forward); its log-probs equal the merged fp32 model's up to float summation order.
     *
     * @param adapterPath a PEFT adapter directory, or empty for the base model alone
     * @return the model, to be closed when its scores are taken (its weights are freed then)
     */
    public static Scorer forwardOnly(
            String modelPath, String adapterPath, Configuration conf, int batch, int seqLen, int lossChunkTokens) {
        HfModelDir.Stored stored =
                HfModelDir.open(HadoopModelDir.of(modelPath, conf).local());
        HfModelDir.Loaded base = stored.load(stored.layout(), stored.storedDataType());
        if (adapterPath == null || adapterPath.isEmpty()) {
            return new Scorer(CausalLm.forwardOnly(base, batch, seqLen, lossChunkTokens), List.of(base.params()));
        }
        AdapterDirectory adapter = AdapterDirectory.of(adapterPath, conf);
        LoraConfig trained = adapter.config();
        LoraConfig scoring = new LoraConfig(trained.rank(), trained.alpha(), 0.0, trained.targets(), trained.rsLora());
        LoraAdapters adapters = new LoraAdapters(base.config(), scoring, 0L);
        INDArray adapterParams = adapters.load(adapter.local());
        Projection.Factory projections = adapters.projections(adapterParams, null);
        return new Scorer(
                CausalLm.forwardOnly(base, projections, batch, seqLen, lossChunkTokens),
                List.of(base.params(), adapterParams));
    }

    /**
     * A {@link #forwardOnly} model and the weights it reads. {@link #close} frees them at once rather than at some
     * later GC, so that the next model loads beside the activations alone (eval scores the adapters-off reference,
     * then loads the evaluated model; a reference-pass task ends); {@link #lm} is unusable after.
     *
     * @param lm      the model
     * @param weights the base's frozen weights and the adapter's, read by {@code lm}
     */
    public record Scorer(CausalLm lm, List<INDArray> weights) implements AutoCloseable {
        @Override
        public void close() {
            weights.forEach(INDArray::close);
        }
    }
}
