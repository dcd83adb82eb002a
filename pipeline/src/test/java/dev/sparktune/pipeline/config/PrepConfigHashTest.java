package dev.sparktune.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hash is computed from the typed PrepConfig, so equivalent config files agree. */
class PrepConfigHashTest {
    @TempDir
    Path dir;

    @Test
    void yamlAndHoconMeaningTheSameThingHashTheSame() throws IOException {
        Path yaml = Files.writeString(
                dir.resolve("a.yaml"),
                "model_name_or_path: /m\ndataset: x, y\ntokenized_path: /t\ncutoff_len: 1024\nneat_packing: true\n");
        Path conf = Files.writeString(dir.resolve("a.conf"), """
                sparktune {
                  model.model_name_or_path = /m
                  data { dataset = [x, y], cutoff_len = 1024, packing = true }
                  prep.output_table = /other
                }
                """);
        assertEquals(
                SparkTuneConfig.load(ConfigSources.of(yaml, List.of()), Verb.PREP)
                        .prepConfigHash(),
                SparkTuneConfig.load(ConfigSources.of(conf, List.of()), Verb.PREP)
                        .prepConfigHash());
    }
}
