package dev.sparktune.trainer.export;

import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.model.HadoopModelDir;
import dev.sparktune.trainer.model.MergedModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The {@code export} verb, on the driver: the base model with the LoRA adapter merged in, saved as an HF model
 * directory (sharded F32 safetensors, config.json, generation_config.json, the base's tokenizer files) that
 * transformers loads; or, with {@code adapter_only}, the PEFT adapter files copied. The directory is written next
 * to {@code export_dir} and swapped in at the end, so a failed export never leaves a half-written model behind
 * and a re-run replaces the previous export.
 */
public final class ModelExport {
    private static final Set<String> ADAPTER_FILES = Set.of("adapter_config.json", "adapter_model.safetensors");

    private ModelExport() {}

    /** @return the files written, relative to export_dir */
    public static List<String> run(ExportConfig config, Configuration conf) {
        Path target = new Path(config.exportDir());
        try {
            FileSystem fs = target.getFileSystem(conf);
            checkReplaceable(fs, target);
            java.nio.file.Path local = Files.createTempDirectory("sparktune-export");
            try {
                if (config.adapterOnly()) {
                    java.nio.file.Path adapter =
                            HadoopModelDir.of(config.adapterPath(), conf).local();
                    for (String name : ADAPTER_FILES) {
                        Files.copy(adapter.resolve(name), local.resolve(name));
                    }
                } else {
                    HfModelDir.Loaded merged = MergedModel.load(config.modelPath(), config.adapterPath(), conf);
                    HfModelDir.save(
                            local,
                            merged.config(),
                            merged.layout(),
                            merged.params(),
                            HadoopModelDir.of(config.modelPath(), conf).local(),
                            config.maxShardBytes());
                }
                Path staging = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
                fs.copyFromLocalFile(false, true, new Path(local.toUri()), staging);
                if (fs.exists(target)) {
                    fs.delete(target, true);
                }
                if (!fs.rename(staging, target)) {
                    throw new IOException("cannot rename " + staging + " to " + target);
                }
                List<String> written = new ArrayList<>();
                for (FileStatus f : fs.listStatus(target)) {
                    written.add(f.getPath().getName());
                }
                written.sort(Comparator.naturalOrder());
                return written;
            } finally {
                try (Stream<java.nio.file.Path> walk = Files.walk(local)) {
                    walk.sorted(Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export to " + config.exportDir() + ": " + e.getMessage(), e);
        }
    }

    /** Only an earlier export (a model or an adapter directory) is replaced; anything else is refused. */
    private static void checkReplaceable(FileSystem fs, Path target) throws IOException {
        if (!fs.exists(target)) {
            return;
        }
        if (!fs.getFileStatus(target).isDirectory()) {
            throw new TrainerException("export.export_dir = " + target + " is a file; choose a directory");
        }
        FileStatus[] files = fs.listStatus(target);
        boolean earlierExport =
                fs.exists(new Path(target, "config.json")) || fs.exists(new Path(target, "adapter_config.json"));
        if (files.length > 0 && !earlierExport) {
            throw new TrainerException("export.export_dir = " + target + " holds other files (" + files.length
                    + " entries, no config.json or adapter_config.json): choose an empty or new directory");
        }
    }
}
