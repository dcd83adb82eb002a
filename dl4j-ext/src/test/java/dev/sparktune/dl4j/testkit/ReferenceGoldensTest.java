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
 * implementation names the file and the script and checks one goldens file.
 */
public interface ReferenceGoldensTest {
    /** The goldens file's name, both checked in and as the script writes it. */
    String goldensFile();

    /** The script under scripts/goldens that writes {@link #goldensFile()}. */
    String script();

    /** The script's arguments before the path it writes to. */
    default List<String> scriptArgsBeforeOutput() {
        return List.of();
    }

    /** Checks every case of a goldens file, asserting each comparison; returns a report line per comparison. */
    List<String> checkGoldens(Path goldens) throws Exception;

    /** The checked-in copy of {@link #goldensFile()}. */
    default Path checkedInGoldens() {
        return RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/" + goldensFile());
    }

    @Test
    default void checkedInGoldensMatch() throws Exception {
        print("[" + getClass().getSimpleName() + "] " + goldensFile(), checkGoldens(checkedInGoldens()));
    }

    @Test
    default void freshlyGeneratedGoldensMatch(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve(goldensFile());
        List<String> args = new ArrayList<>(scriptArgsBeforeOutput());
        args.add(out.toString());
        String stdout = ReferencePython.runScript("scripts/goldens/" + script(), args, Duration.ofMinutes(5));
        assertTrue(Files.isRegularFile(out), "script wrote no file; stdout: " + stdout);
        print("[" + getClass().getSimpleName() + " live] " + stdout.strip(), checkGoldens(out));
    }

    private static void print(String heading, List<String> report) {
        System.out.println(heading + "\n  " + String.join("\n  ", report));
    }
}
