package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.pipeline.cli.SparkTuneCli;
import dev.sparktune.testkit.CliArgs;
import dev.sparktune.testkit.RepoPaths;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's first command (prep on conf/demo-prep.conf), then inspect on what it wrote, then the README's training
 * commands (init-model, train with the demo conf's train section on 2 local ranks) and a re-run that resumes.
 */
class DemoPrepEndToEndTest {
    @TempDir
    Path scratch;

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = SparkTuneCli.newCommandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void demoConfPrepsEveryRecordAndInspectShowsTrainedSpans() throws Exception {
        Path table = scratch.resolve("packed");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String root = RepoPaths.root().toString();
        int exit = run(
                out,
                err,
                CliArgs.withSettings(
                        List.of("prep", "-c", root + "/conf/demo-prep.conf"),
                        "model.model_name_or_path=\"" + root + "/assets/tokenizers/qwen3\"",
                        "data.dataset_dir=\"" + root + "/data\"",
                        "prep.output_table=" + CliArgs.quoted(table),
                        "spark.master=\"local[2]\""));
        assertEquals(0, exit, "stderr:\n" + err);
        JsonNode stats = new ObjectMapper().readTree(out.toString());
        assertEquals(900, stats.get("inputRecords").asLong());
        assertEquals(900, stats.get("acceptedDocuments").asLong(), "the demo datasets are clean: " + stats);
        assertTrue(stats.get("evalDocuments").asLong() > 0, "val_size 0.1 gives an eval split");
        // 3 datasets x 2 splits pack separately (a row has one source): at most one partial row per group
        assertTrue(
                stats.get("rows").get("train").asLong()
                                + stats.get("rows").get("eval").asLong()
                        <= stats.get("lowerBoundRows").asLong() + 6,
                stats.toString());
        assertTrue(Files.exists(Path.of(table + "_stats.json")));

        StringWriter inspectOut = new StringWriter();
        exit = run(inspectOut, err, "inspect", table.toString(), "--rows", "1");
        assertEquals(0, exit, "stderr:\n" + err);
        String report = inspectOut.toString();
        assertTrue(report.contains("sparktune.tokenizer.sha256"), report);
        assertTrue(
                report.contains("<|im_start|>assistant\n⟦"),
                "trained spans start after the assistant header:\n" + report);
        assertTrue(report.contains("<|im_end|>\n⟧"), "trained spans end with the end-of-turn token:\n" + report);

        Path model = scratch.resolve("model");
        exit = run(new StringWriter(), err, CliArgs.initTinyQwen3(model).toArray(String[]::new));
        assertEquals(0, exit, "stderr:\n" + err);
        Path lora = scratch.resolve("lora");
        String[] train = CliArgs.withSettings(
                List.of("train", "-c", root + "/conf/demo-prep.conf"),
                "model.model_name_or_path=" + CliArgs.quoted(model),
                "prep.output_table=" + CliArgs.quoted(table),
                "train.output_dir=" + CliArgs.quoted(lora),
                "train.max_steps=4",
                "train.save_steps=2",
                "spark.master=\"local[2]\"");
        StringWriter trainOut = new StringWriter();
        exit = run(trainOut, err, train);
        assertEquals(0, exit, "stderr:\n" + err);
        JsonNode summary = new ObjectMapper().readTree(trainOut.toString());
        assertEquals(0, summary.get("first_step").asInt(), summary.toString());
        assertEquals(4, summary.get("steps_run").asInt(), summary.toString());
        assertTrue(Double.isFinite(summary.get("final_loss").asDouble()), summary.toString());
        assertEquals(2, summary.get("held_bytes_per_rank").size(), "world_size 2 from the demo conf");
        for (String file : List.of(
                "adapter_model.safetensors", "adapter_config.json", "trainer_log.jsonl", "checkpoint-4/COMMITTED")) {
            assertTrue(Files.isRegularFile(lora.resolve(file)), file + " in " + lora);
        }

        StringWriter again = new StringWriter();
        exit = run(again, err, train);
        assertEquals(0, exit, "stderr:\n" + err);
        JsonNode rerun = new ObjectMapper().readTree(again.toString());
        assertEquals(4, rerun.get("first_step").asInt(), "a finished run resumes at its end: " + rerun);
        assertEquals(0, rerun.get("steps_run").asInt(), rerun.toString());
    }
}
