package dev.sparktune.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.preprocess.api.PrepResult;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.template.ChatTemplate;
import dev.sparktune.preprocess.template.ChatTemplates;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Prep throughput and packing efficiency, printed beside the references measured in the same run:
 * a tight DJL batchEncode loop over the same rendered texts (the ceiling), and transformers + datasets.map (the
 * Python pipeline LLaMA-Factory runs). Usage (see bench/run.sh):
 * {@code PrepBenchmark generate WORK_DIR DOCUMENTS} writes the corpus to WORK_DIR/data/alpaca_like.jsonl;
 * {@code PrepBenchmark run WORK_DIR TOKENIZER_DIR PYTHON_REFERENCE_JSON} measures and prints.
 */
public final class PrepBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PrepBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[1]);
        Path data = work.resolve("data");
        Path corpus = data.resolve("alpaca_like.jsonl");
        if (args[0].equals("generate")) {
            Files.createDirectories(data);
            AlpacaLikeCorpus.write(corpus, Integer.parseInt(args[2]), 42);
            Files.writeString(
                    data.resolve("dataset_info.json"), "{\"alpaca_like\": {\"file_name\": \"alpaca_like.jsonl\"}}");
            return;
        }
        String tokenizerDir = args[2];
        JsonNode python = JSON.readTree(Files.readString(Path.of(args[3])));
        int cores = Runtime.getRuntime().availableProcessors();

        SparkSession spark = SparkSession.builder()
                .master("local[" + cores + "]")
                .appName("prep-bench")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.memory", "4g")
                .config("spark.sql.shuffle.partitions", Integer.toString(2 * cores))
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
        try {
            long t0 = System.nanoTime();
            PrepResult unpacked = PrepJob.run(spark, config(data, tokenizerDir, work.resolve("unpacked"), 1024, false));
            double prepSeconds = (System.nanoTime() - t0) / 1e9;
            double prepTokensPerSecond = unpacked.stats().tokens() / prepSeconds;

            double ceiling = djlCeiling(corpus, tokenizerDir);

            PrepResult packed1024 =
                    PrepJob.run(spark, config(data, tokenizerDir, work.resolve("packed1024"), 1024, true));
            PrepResult packed2048 =
                    PrepJob.run(spark, config(data, tokenizerDir, work.resolve("packed2048"), 2048, true));

            System.out.println();
            System.out.printf(
                    "prep throughput, %d alpaca-like documents, %d cores, template qwen3, cutoff 1024%n",
                    unpacked.stats().inputRecords(), cores);
            System.out.printf("  %-46s %12s %10s %12s%n", "", "tokens", "seconds", "tokens/s");
            System.out.printf(
                    "  %-46s %12d %10.1f %12.0f%n",
                    "SparkTune prep job (end to end, Delta written)",
                    unpacked.stats().tokens(),
                    prepSeconds,
                    prepTokensPerSecond);
            System.out.printf(
                    "  %-46s %12s %10s %12.0f   (ours = %.2fx)%n",
                    "DJL batchEncode ceiling (same texts)", "", "", ceiling, prepTokensPerSecond / ceiling);
            {
                double pyTps = python.get("tokens").asDouble()
                        / python.get("seconds_processing").asDouble();
                System.out.printf(
                        "  %-46s %12d %10.1f %12.0f   (ours = %.2fx; Python wall incl. start-up %.1f s)%n",
                        "transformers + datasets.map (num_proc=" + cores + ")",
                        python.get("tokens").asLong(),
                        python.get("seconds_processing").asDouble(),
                        pyTps,
                        prepTokensPerSecond / pyTps,
                        python.get("seconds_wall").asDouble());
            }
            System.out.println();
            System.out.println("packing efficiency (non-pad tokens / (rows x cutoff)), same corpus");
            for (PrepResult r : List.of(packed1024, packed2048)) {
                int cutoff = r == packed1024 ? 1024 : 2048;
                System.out.printf(
                        "  cutoff %4d: %d rows, lower bound %d, efficiency %.2f%%%n",
                        cutoff,
                        r.stats().totalRows(),
                        r.stats().lowerBoundRows(),
                        100 * r.stats().packingEfficiency());
            }
        } finally {
            spark.stop();
        }
    }

    private static PrepConfig config(Path data, String tokenizerDir, Path out, int cutoff, boolean packing) {
        return PrepConfig.builder()
                .datasets(List.of("alpaca_like"))
                .datasetDir(data.toString())
                .modelPath(tokenizerDir)
                .cutoffLen(cutoff)
                .packing(packing)
                .outputs(PrepConfig.Outputs.beside(out.toString()))
                .build();
    }

    /** Renders every record with our template (untimed), then times batchEncode over all texts. */
    private static double djlCeiling(Path corpus, String tokenizerDir) throws Exception {
        String tokenizerConfig = Files.readString(Path.of(tokenizerDir, "tokenizer_config.json"));
        ChatTemplate template = ChatTemplates.resolve("auto", tokenizerConfig, true);
        List<String> texts = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(corpus, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode r = JSON.readTree(line);
                String prompt = r.get("instruction").asText()
                        + (r.get("input").asText().isEmpty()
                                ? ""
                                : "\n" + r.get("input").asText());
                texts.add(template.render(new Conversation(
                                List.of(
                                        Message.of(Role.USER, prompt),
                                        Message.of(
                                                Role.ASSISTANT, r.get("output").asText())),
                                null))
                        .text());
            }
        }
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                Path.of(tokenizerDir, "tokenizer.json"),
                Map.of(
                        "addSpecialTokens",
                        "false",
                        "truncation",
                        "false",
                        "padding",
                        "false",
                        "maxLength",
                        String.valueOf(Integer.MAX_VALUE)))) {
            tokenizer.batchEncode(texts.subList(0, Math.min(2000, texts.size())), false, false); // warm-up
            long tokens = 0;
            long t0 = System.nanoTime();
            for (int from = 0; from < texts.size(); from += 1024) {
                for (Encoding e :
                        tokenizer.batchEncode(texts.subList(from, Math.min(from + 1024, texts.size())), false, false)) {
                    tokens += e.getIds().length;
                }
            }
            return tokens / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
