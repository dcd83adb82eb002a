package dev.sparktune.trainer.model;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.model.HfModelDir;
import org.apache.hadoop.conf.Configuration;

/**
 * A base model with an optional PEFT LoRA adapter merged in (W + s·B·A), both on any Hadoop file system: what export
 * saves and what eval runs. Merging once up front lets inference use the plain decoder.
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
}
