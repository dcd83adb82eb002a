package dev.sparktune.trainer.model;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;

/**
 * A base model with an optional PEFT LoRA adapter merged in (W + s·B·A), both on any Hadoop file system: what export
 * saves and what eval runs. Merging once up front lets inference use the plain decoder.
 */
public final class MergedModel {
    private MergedModel() {
    }

    /**
     * @param adapterPath a PEFT adapter directory, or empty for the base model alone
     */
    public static HfModelDir.Loaded load(String modelPath, String adapterPath, Configuration conf) {
        HfModelDir.Loaded base = HfModelDir.load(ModelDirectory.of(modelPath, conf).local());
        if (adapterPath == null || adapterPath.isEmpty()) {
            return base;
        }
        Path adapterDir = ModelDirectory.of(adapterPath, conf).local();
        if (!Files.isRegularFile(adapterDir.resolve("adapter_config.json"))) {
            throw new IllegalArgumentException("adapter_name_or_path = " + adapterPath + " has no adapter_config.json:"
                    + " point it at a PEFT LoRA adapter directory (the train output_dir of a LoRA run)");
        }
        LoraConfig lora = LoraAdapters.readConfig(adapterDir);
        LoraAdapters adapters = new LoraAdapters(base.config(), lora, 0L);
        return new HfModelDir.Loaded(base.config(), base.layout(),
                adapters.merge(base.layout(), base.params(), adapters.load(adapterDir)));
    }
}
