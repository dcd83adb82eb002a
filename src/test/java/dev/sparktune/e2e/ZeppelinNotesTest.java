package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.pipeline.cli.SparkTuneCli;
import dev.sparktune.testkit.RepoPaths;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import scala.Console$;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * The Zeppelin notes in notebooks/ never rot: every %spark paragraph of every note runs, in order, in a Scala
 * interpreter with {@code spark} bound to a SparkSession, as Zeppelin's Spark interpreter runs it (one interpreter
 * per note). sparktune.home points at a scratch directory holding what the demo writes (a packed table and the
 * tiny model, made by {@code run} with its first three stages) and conf/demo-local.conf.
 */
class ZeppelinNotesTest {
    @TempDir
    static Path home;

    static SparkSession spark;

    @BeforeAll
    static void demoOutputsAndASession() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.copy(RepoPaths.resolve("conf/demo-local.conf"), home.resolve("conf/demo-local.conf"));
        StringWriter err = new StringWriter();
        CommandLine cli = SparkTuneCli.newCommandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(DemoRunArgs.of(
                home.resolve("conf/demo-local.conf"),
                home.resolve("out/demo"),
                "run.stages=[synthetic_data, init_model, prep]",
                "synthetic_data.examples=200"));
        assertEquals(0, exit, "stderr:\n" + err);
        System.setProperty("sparktune.home", home.toString());
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("zeppelin-notes")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        System.clearProperty("sparktune.home");
    }

    @Test
    void everyParagraphOfEveryNoteRuns() throws Exception {
        List<Path> notes;
        try (Stream<Path> files = Files.list(RepoPaths.resolve("notebooks"))) {
            notes = files.filter(f -> f.toString().endsWith(".zpln")).sorted().toList();
        }
        assertEquals(3, notes.size(), notes.toString());
        List<String> outputs = new ArrayList<>();
        for (Path note : notes) {
            outputs.add(runNote(note));
        }
        assertTrue(outputs.get(0).contains("%table length_from\tdocuments\n"), outputs.get(0));
        assertTrue(outputs.get(0).contains("⟦"), "decoded rows mark the trained tokens: " + outputs.get(0));
        assertTrue(outputs.get(1).contains("trained steps 1..10"), outputs.get(1));
        String curve = outputs.get(2).substring(outputs.get(2).indexOf("%table step\tloss"));
        assertTrue(curve.lines().count() >= 6, "a header and the 5 logged steps: " + curve);
    }

    /** Every %spark paragraph in order, in one interpreter; returns what they printed. */
    private static String runNote(Path note) throws Exception {
        JsonNode paragraphs = new ObjectMapper().readTree(note.toFile()).path("paragraphs");
        Settings settings = new Settings();
        settings.classpath().value_$eq(System.getProperty("java.class.path"));
        StringWriter compilerOutput = new StringWriter();
        IMain repl = new IMain(settings, new ReplReporterImpl(settings, new PrintWriter(compilerOutput)));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            Console$.MODULE$.withOut(
                    out,
                    () -> repl.bind(
                            "spark",
                            SparkSession.class.getName(),
                            spark,
                            scala.collection.immutable.List$.MODULE$.empty()));
            for (JsonNode p : paragraphs) {
                String text = p.path("text").asText();
                assertTrue(text.startsWith("%spark\n"), note.getFileName() + ": every paragraph is %spark");
                Results.Result result =
                        Console$.MODULE$.withOut(out, () -> repl.interpret(text.substring("%spark\n".length())));
                assertEquals(
                        Results.Success$.MODULE$,
                        result,
                        note.getFileName() + " / " + p.path("title").asText() + ":\n" + compilerOutput + "\n"
                                + printed.toString(StandardCharsets.UTF_8));
            }
        } finally {
            repl.close();
        }
        return printed.toString(StandardCharsets.UTF_8);
    }
}
