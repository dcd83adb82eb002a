package dev.sparktune.trainer.model;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import org.apache.hadoop.conf.Configuration;

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
     */
    public static CausalLm forwardOnly(
            String modelPath, String adapterPath, Configuration conf, int batch, int seqLen, int lossChunkTokens) {
        HfModelDir.Stored stored =
                HfModelDir.open(HadoopModelDir.of(modelPath, conf).local());
        HfModelDir.Loaded base = stored.load(stored.layout(), stored.storedDataType());
        if (adapterPath == null || adapterPath.isEmpty()) {
            return CausalLm.forwardOnly(base, batch, seqLen, lossChunkTokens);
        }
        AdapterDirectory adapter = AdapterDirectory.of(adapterPath, conf);
        LoraConfig trained = adapter.config();
        LoraConfig scoring = new LoraConfig(trained.rank(), trained.alpha(), 0.0, trained.targets(), trained.rsLora());
        LoraAdapters adapters = new LoraAdapters(base.config(), scoring, 0L);
        Projection.Factory projections = adapters.projections(adapters.load(adapter.local()), null);
        return CausalLm.forwardOnly(base, projections, batch, seqLen, lossChunkTokens);
    }
}
