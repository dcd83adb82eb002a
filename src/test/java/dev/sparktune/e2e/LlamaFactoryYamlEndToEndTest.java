package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.sparktune.pipeline.cli.SparkTuneCli;
import dev.sparktune.testkit.CliArgs;
import dev.sparktune.testkit.RepoPaths;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * LLaMA-Factory's own examples run unchanged with {@code run -c}. conf/llamafactory/qwen3_lora_sft.yaml: from a
 * directory laid out as LLaMA-Factory expects (the model at its hub name, data/dataset_info.json naming identity and
 * alpaca_en_demo), prep packs the two datasets with the qwen3_nothink template and train fits LoRA adapters for
 * num_train_epochs = 3 at the global batch of per_device_train_batch_size × gradient_accumulation_steps. Its DPO
 * example, qwen3_lora_dpo.yaml, likewise on pairs laid out as dpo_en_demo.
 */
class LlamaFactoryYamlEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path cwd;

    @Test
    void llamaFactoryExampleRunsUnchanged() throws Exception {
        initModel(cwd.resolve("Qwen/Qwen3-4B-Instruct-2507"));
        Path data = Files.createDirectories(cwd.resolve("data"));
        Files.writeString(data.resolve("dataset_info.json"), """
                {"identity": {"file_name": "identity.json"}, "alpaca_en_demo": {"file_name": "alpaca_en_demo.json"}}
                """);
        writeAlpaca(
                data.resolve("identity.json"),
                "Who are you?",
                "I am {{name}}, an AI assistant developed by " + "{{author}}.",
                4);
        writeAlpaca(
                data.resolve("alpaca_en_demo.json"),
                "Give three tips for staying healthy.",
                "Eat well, exercise and sleep.",
                4);

        String output = runUnchanged("qwen3_lora_sft.yaml");
        assertTrue(output.contains("the packed Delta table goes to saves/qwen3-4b/lora/sft_tokenized"), output);
        JsonNode report =
                JSON.readTree(output.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(
                8, report.path("prep").path("stats").path("acceptedDocuments").asLong(), report.toString());
        // 8 rows (packing is off for sft), 8 per step (1 x 8 accumulation x 1 rank): 1 step per epoch, 3 epochs
        assertEquals(3, report.path("train").path("steps_run").asInt(), report.toString());
        assertTrue(!report.has("export") && !report.has("eval"), "do_train alone: prep and train only");
        assertTrue(Files.isRegularFile(cwd.resolve("saves/qwen3-4b/lora/sft/adapter_model.safetensors")));
        assertTrue(Files.isDirectory(cwd.resolve("saves/qwen3-4b/lora/sft_tokenized/_delta_log")));
    }

    /**
     * LLaMA-Factory's DPO example (conf/llamafactory/qwen3_lora_dpo.yaml, unchanged) on sharegpt pairs laid out as
     * its dpo_en_demo: prep writes a table of pairs, the run computes the base model's log-probs of every document
     * (the reference of pref_loss sigmoid) before train, and train fits LoRA adapters against them, starting at ln 2.
     */
    @Test
    void llamaFactoryDpoExampleRunsUnchanged() throws Exception {
        initModel(cwd.resolve("Qwen/Qwen3-4B-Instruct-2507"));
        Path data = Files.createDirectories(cwd.resolve("data"));
        Files.writeString(data.resolve("dataset_info.json"), """
                {"dpo_en_demo": {"file_name": "dpo_en_demo.json", "ranking": true, "formatting": "sharegpt",
                  "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}}}
                """);
        ArrayNode pairs = JSON.createArrayNode();
        for (int i = 0; i < 8; i++) {
            var pair = pairs.addObject();
            pair.putArray("conversations").addObject().put("from", "human").put("value", "What is " + i + " + 1?");
            pair.putObject("chosen").put("from", "gpt").put("value", Integer.toString(i + 1));
            pair.putObject("rejected").put("from", "gpt").put("value", "I do not know.");
        }
        Files.writeString(data.resolve("dpo_en_demo.json"), JSON.writeValueAsString(pairs));

        String output = runUnchanged("qwen3_lora_dpo.yaml");
        JsonNode report =
                JSON.readTree(output.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(
                8,
                report.path("prep").path("stats").path("acceptedDocuments").asLong(),
                "one per pair record: " + report);
        assertEquals(16, report.path("ref_logprobs").path("documents").asLong(), "a chosen and a rejected each");
        // 8 pairs, one per row, 8 rows per step: 1 step per epoch, 3 epochs
        assertEquals(3, report.path("train").path("steps_run").asInt(), report.toString());
        assertEquals(
                Math.log(2),
                report.path("train").path("first_loss").asDouble(),
                1e-4,
                "a fresh LoRA is its " + "reference, the base");
        List<String> log = Files.readAllLines(cwd.resolve("saves/qwen3-4b/lora/dpo/trainer_log.jsonl"));
        JsonNode first = JSON.readTree(log.get(0));
        assertTrue(first.has("rewards/accuracies") && first.has("logps/chosen"), first.toString());
        assertTrue(Files.isRegularFile(cwd.resolve("saves/qwen3-4b/lora/dpo/adapter_model.safetensors")));
    }

    /** {@code run -c conf/llamafactory/<yaml>} in a JVM of its own whose working directory is {@code cwd}; its output. */
    private String runUnchanged(String yaml) throws Exception {
        Process run = CliProcess.start(
                cwd,
                List.of(
                        "run",
                        "-c",
                        RepoPaths.resolve("conf/llamafactory/" + yaml).toString()));
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(run.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, run.exitValue(), output);
        return output;
    }

    private void initModel(Path model) {
        StringWriter err = new StringWriter();
        CommandLine init = SparkTuneCli.newCommandLine();
        init.setErr(new PrintWriter(err));
        init.setOut(new PrintWriter(new StringWriter()));
        assertEquals(0, init.execute(CliArgs.initTinyQwen3(model).toArray(String[]::new)), err.toString());
    }

    private static void writeAlpaca(Path file, String instruction, String output, int copies) throws Exception {
        ArrayNode records = JSON.createArrayNode();
        for (int i = 0; i < copies; i++) {
            records.addObject()
                    .put("instruction", instruction + " (" + i + ")")
                    .put("input", "")
                    .put("output", output);
        }
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(records));
    }
}
