package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.testkit.RepoPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every example config in conf/ validates as a whole pipeline: {@code run CONF --dry-run} from the repository root,
 * as the README runs them (config keys and values, and the inputs no earlier stage creates).
 */
class ExampleConfsDryRunTest {
    @Test
    void everyConfInConfValidatesWithRunDryRun() throws Exception {
        List<Path> confs;
        try (Stream<Path> files = Files.list(RepoPaths.resolve("conf"))) {
            confs = files.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
        }
        assertFalse(confs.isEmpty());
        for (Path conf : confs) {
            Process cli = CliProcess.start(RepoPaths.root(), List.of("run", "conf/" + conf.getFileName(),
                    "--dry-run"));
            String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(cli.waitFor(120, TimeUnit.SECONDS), conf.toString());
            assertEquals(0, cli.exitValue(), conf + ":\n" + output);
            assertTrue(output.contains("inputs found"), conf + ":\n" + output);
        }
    }
}
