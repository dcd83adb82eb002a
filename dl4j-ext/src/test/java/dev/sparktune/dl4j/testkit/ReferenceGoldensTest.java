package dev.sparktune.dl4j.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test of our code against goldens that a reference script under scripts/goldens (torch, transformers, PEFT, TRL)
 * writes. It checks the copy checked in under dl4j-ext/src/test/resources/goldens, and goldens the script writes
 * afresh: that second test is never skipped, it fails when the reference environment cannot be created. An
 * implementation names its goldens and checks one goldens file.
 */
public interface ReferenceGoldensTest {
    /**
     * A goldens file and the script that writes it.
     *
     * @param file             the file's name, both checked in and as the script writes it
     * @param script           the script under scripts/goldens
     * @param argsBeforeOutput the script's arguments before the path it writes to
     */
    record GoldensFile(String file, String script, String... argsBeforeOutput) {}

    GoldensFile goldens();

    /** Checks every case of a goldens file, asserting each comparison; returns a report line per comparison. */
    List<String> checkGoldens(Path goldens) throws Exception;

    /** The checked-in copy of the goldens. */
    default Path checkedInGoldens() {
        return RepoPaths.resolve(
                "dl4j-ext/src/test/resources/goldens/" + goldens().file());
    }

    @Test
    default void checkedInGoldensMatch() throws Exception {
        print("[" + getClass().getSimpleName() + "] " + goldens().file(), checkGoldens(checkedInGoldens()));
    }

    @Test
    default void freshlyGeneratedGoldensMatch(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve(goldens().file());
        List<String> args = new ArrayList<>(List.of(goldens().argsBeforeOutput()));
        args.add(out.toString());
        String stdout = ReferencePython.runScript("scripts/goldens/" + goldens().script(), args, Duration.ofMinutes(5));
        assertTrue(Files.isRegularFile(out), "script wrote no file; stdout: " + stdout);
        print("[" + getClass().getSimpleName() + " live] " + stdout.strip(), checkGoldens(out));
    }

    private static void print(String heading, List<String> report) {
        System.out.println(heading + "\n  " + String.join("\n  ", report));
    }
}
