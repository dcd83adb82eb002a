package dev.sparktune.trainer.model;

import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.checkpoint.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;

/**
 * A PEFT LoRA adapter directory (adapter_name_or_path: adapter_config.json + adapter_model.safetensors) on any Hadoop
 * file system, copied to local disk as a model directory is ({@link HadoopModelDir#local}).
 */
public final class AdapterDirectory {
    private final String path;
    private final Path local;

    private AdapterDirectory(String path, Path local) {
        this.path = path;
        this.local = local;
    }

    /**
     * @throws TrainerException naming the path when it holds no adapter_config.json
     */
    public static AdapterDirectory of(String adapterPath, Configuration conf) {
        Path local = HadoopModelDir.of(adapterPath, conf).local();
        for (String file : new String[] {"adapter_config.json", "adapter_model.safetensors"}) {
            if (!Files.isRegularFile(local.resolve(file))) {
                throw new TrainerException("adapter_name_or_path = " + adapterPath + " has no " + file
                        + ": point it at a PEFT LoRA adapter directory (the train output_dir of a LoRA run)");
            }
        }
        return new AdapterDirectory(adapterPath, local);
    }

    /** The local copy (the directory itself on a local file system). */
    public Path local() {
        return local;
    }

    /** Its LoRA settings (rank, alpha, dropout, targets, rsLoRA). */
    public LoraConfig config() {
        return LoraAdapters.readConfig(local);
    }

    /**
     * Checks, on the driver, that the adapter holds a tensor of the right shape for every entry of {@code layout}
     * (the adapters of its config on {@code model}, under the names PEFT gives them there), so a mismatch is refused before any rank loads it.
     *
     * @throws TrainerException naming the first tensor missing or of another shape
     */
    public void requireTensors(ModelConfig model, ParamLayout layout) {
        SafetensorsReader reader = SafetensorsReader.open(local.resolve("adapter_model.safetensors"));
        for (ParamLayout.Entry e : layout.entries()) {
            String name = LoraAdapters.fileName(model, e.name());
            if (!reader.contains(name) || !Arrays.equals(reader.info(name).shape(), e.shape())) {
                throw new TrainerException("adapter_name_or_path = " + path + ": "
                        + (reader.contains(name)
                                ? name + " has shape "
                                        + Arrays.toString(reader.info(name).shape()) + ", this model needs "
                                        + Arrays.toString(e.shape())
                                : "no tensor " + name)
                        + "; the adapter was trained on another model");
            }
        }
    }

    /** sha256 over adapter_config.json and adapter_model.safetensors (small files: read whole). */
    public String fingerprint() {
        MessageDigest sha = Sha256.digest();
        for (String name : new String[] {"adapter_config.json", "adapter_model.safetensors"}) {
            try {
                sha.update(Files.readAllBytes(local.resolve(name)));
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot read " + name + " of the adapter " + path + ": " + e.getMessage(), e);
            }
        }
        return Sha256.hex(sha);
    }
}
