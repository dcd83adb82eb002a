package dev.sparktune.pipeline.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.pipeline.PipelineException;
import dev.sparktune.pipeline.config.RunSettings;
import dev.sparktune.pipeline.config.RunSettings.Stage;
import dev.sparktune.pipeline.config.SparkTuneConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.preprocess.api.PrepResult;
import dev.sparktune.trainer.api.DynamicAllocationException;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.GpuSchedulingException;
import dev.sparktune.trainer.api.TrainJob;
import dev.sparktune.trainer.eval.EvalConfig;
import dev.sparktune.trainer.eval.EvalJob;
import dev.sparktune.trainer.eval.EvalResult;
import dev.sparktune.trainer.export.ExportConfig;
import dev.sparktune.trainer.export.ModelExport;
import dev.sparktune.trainer.reference.RefLogProbsJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code run} verb: its stages in order (synthetic_data, init_model, prep, ref_logprobs, train, export, eval),
 * each recorded in {@link RunState} when it finishes, under a fingerprint of the settings it reads
 * ({@link #settingsRead}) chained with the stage before it. A re-run skips every stage whose fingerprint is recorded
 * and whose output still exists, so a driver killed after prep re-runs from train (which itself resumes from its
 * newest checkpoint); changing a setting re-runs the stage that reads it and every stage after it.
 */
public final class PipelineRun {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final SparkTuneConfig config;
    private final RunSettings settings;
    private final PrintWriter log;
    private final ObjectNode report = MAPPER.createObjectNode();
    private RunState state;
    private String chain = "";

    public PipelineRun(SparkTuneConfig config, PrintWriter log) {
        this.config = config;
        this.settings = config.run();
        this.log = log;
    }

    /** Runs the stages; returns the report (one entry per stage, plus before/after exact match when evaluated). */
    public ObjectNode run(SparkSession spark) {
        if (settings.stages().contains(Stage.TRAIN)) {
            // refused before prep runs, not after it, when train's barrier stage cannot run on this application
            DynamicAllocationException.require(
                    spark.sparkContext(), config.train().parallelism().worldSize());
            GpuSchedulingException.require(
                    spark.sparkContext(), config.train().parallelism().device());
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        state = RunState.open(settings.stateFile(), conf);
        report.put("state_file", settings.stateFile());
        for (Stage stage : settings.stages()) {
            switch (stage) {
                case SYNTHETIC_DATA -> stage(stage, () -> true, this::syntheticData);
                case INIT_MODEL -> stage(stage, this::modelExists, this::initModel);
                case PREP ->
                    stage(
                            stage,
                            () -> exists(conf, config.prep().outputs().table() + "/_delta_log"),
                            () -> prep(spark));
                case REF_LOGPROBS ->
                    stage(
                            stage,
                            () -> exists(conf, config.refLogProbs().outputTable() + "/_delta_log"),
                            () -> refLogProbs(spark));
                case TRAIN ->
                    stage(
                            stage,
                            () -> exists(conf, config.train().outputDir() + "/trainer_log.jsonl"),
                            () -> train(spark));
                case EXPORT -> stage(stage, () -> exists(conf, config.export().exportDir()), () -> export(conf));
                case EVAL -> stage(stage, () -> true, () -> eval(spark));
                default -> throw new IllegalStateException(stage.toString());
            }
        }
        return report;
    }

    /**
     * The settings a stage's work reads: whole config sections, or single keys where a section holds much the stage
     * ignores.
     */
    static List<String> settingsRead(Stage stage) {
        return switch (stage) {
            case SYNTHETIC_DATA -> List.of("synthetic_data");
            case INIT_MODEL -> List.of("init_model", "model");
            case PREP -> List.of("model", "data", "prep");
            // the reference's log-probs depend on the model, the table and the reference, not on how train trains:
            // a new learning rate must not re-run the reference pass (the pass also reads train.world_size and
            // loss_chunk_tokens, for its task count and chunking, which leave every log-prob as it is)
            case REF_LOGPROBS ->
                List.of(
                        "model",
                        "train.table",
                        "train.ref_logprobs_table_version",
                        "train.ref_model",
                        "train.ref_model_adapters",
                        "train.ref_logprobs_table");
            case TRAIN -> List.of("train");
            case EXPORT -> List.of("export");
            case EVAL -> List.of("eval", "run");
        };
    }

    /** The resolved values of what {@code stage} reads, as text: what its fingerprint hashes. */
    static String settingsText(SparkTuneConfig config, Stage stage) {
        StringBuilder text = new StringBuilder(stage.key());
        for (String read : settingsRead(stage)) {
            text.append('\n').append(read).append(":\n").append(config.section(read));
        }
        return text.toString();
    }

    private void stage(Stage stage, Supplier<Boolean> outputExists, Supplier<JsonNode> work) {
        String text = chain + '\n' + settingsText(config, stage);
        String fingerprint = sha256(text);
        chain = fingerprint;
        var done = state.finished(stage.key(), fingerprint);
        if (done.isPresent() && outputExists.get()) {
            log.println("run: [" + stage.key() + "] finished in an earlier run with the same settings; skipped");
            log.flush();
            report.set(stage.key(), done.get());
            return;
        }
        log.println("run: [" + stage.key() + "] started");
        log.flush();
        long started = System.nanoTime();
        JsonNode result = work.get();
        state.markFinished(stage.key(), fingerprint, result);
        report.set(stage.key(), result);
        log.printf("run: [%s] finished in %.1f s%n", stage.key(), (System.nanoTime() - started) / 1e9);
        log.flush();
    }

    private JsonNode syntheticData() {
        RunSettings.SyntheticData data = settings.syntheticData();
        List<Path> files = SyntheticTasks.write(
                localDir("synthetic_data.output_dir", data.outputDir()), data.examples(), data.seed());
        ObjectNode n = MAPPER.createObjectNode();
        n.put("output_dir", data.outputDir());
        n.put("examples_per_form", data.examples());
        files.forEach(f -> n.withArray("files").add(f.getFileName().toString()));
        return n;
    }

    private boolean modelExists() {
        return Files.isRegularFile(
                localDir("model.model_name_or_path", config.prep().modelPath()).resolve("config.json"));
    }

    /** Creates the random model only where there is none: a model already at model_name_or_path is never replaced. */
    private JsonNode initModel() {
        RunSettings.InitModel init = settings.initModel();
        Path out = localDir("model.model_name_or_path", config.prep().modelPath());
        ObjectNode n = MAPPER.createObjectNode();
        n.put("model_dir", out.toString());
        if (modelExists()) {
            log.println("run: [init_model] " + out + " already holds a model (config.json); it is used as is");
            log.flush();
            n.put("created", false);
            return n;
        }
        Path tokenizer = localDir("init_model.tokenizer", init.tokenizer());
        ModelConfig model = ModelInit.config(
                init.architecture(),
                ModelInit.vocabSize(tokenizer),
                init.hiddenSize(),
                init.intermediateSize(),
                init.numLayers(),
                init.numHeads(),
                init.numKvHeads(),
                init.hiddenSize() / init.numHeads(),
                true);
        HfModelDir.Loaded weights = ModelInit.saveRandom(out, model, init.seed(), init.initializerRange(), tokenizer);
        n.put("created", true);
        n.put("architecture", init.architecture());
        n.put("parameters", weights.layout().totalLength());
        return n;
    }

    /** The demo stages write local files: a Hadoop URI other than file: is refused, naming the key. */
    private static Path localDir(String key, String path) {
        URI uri = new org.apache.hadoop.fs.Path(path).toUri();
        if (uri.getScheme() != null && !uri.getScheme().equals("file")) {
            throw new PipelineException(key + " = " + path + ": the synthetic_data and init_model stages write "
                    + "local directories; give a local path (and copy the result to " + uri.getScheme()
                    + " if needed)");
        }
        return Path.of(uri.getPath());
    }

    private JsonNode prep(SparkSession spark) {
        PrepResult result = PrepJob.run(spark, config.prep());
        ObjectNode n = MAPPER.createObjectNode();
        n.put("table", config.prep().outputs().table());
        n.put("table_version", result.tableVersion());
        n.put("committed", result.committed());
        try {
            n.set("stats", MAPPER.readTree(PrepJob.toJson(result.stats())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    private JsonNode refLogProbs(SparkSession spark) {
        return RefLogProbsJob.run(spark, config.refLogProbs()).toJson();
    }

    private JsonNode train(SparkSession spark) {
        return TrainJob.run(spark, config.train()).toJson();
    }

    /** The trained weights: the base plus train's adapter for LoRA, train's output directory for full tuning. */
    private String trainedModel() {
        return isLora() ? config.prep().modelPath() : config.train().outputDir();
    }

    private String trainedAdapter() {
        return isLora() ? config.train().outputDir() : "";
    }

    private boolean isLora() {
        return config.train().finetuning().type() == FinetuningType.LORA;
    }

    private JsonNode export(Configuration conf) {
        ExportConfig c = config.export();
        ExportConfig export = new ExportConfig(
                trainedModel(), trainedAdapter(), c.exportDir(), c.maxShardBytes(), c.adapterOnly() && isLora());
        List<String> files = ModelExport.run(export, conf);
        ObjectNode n = MAPPER.createObjectNode();
        n.put("export_dir", c.exportDir());
        n.put("merged", !export.adapterOnly() && !export.adapterPath().isEmpty());
        files.forEach(f -> n.withArray("files").add(f));
        return n;
    }

    private JsonNode eval(SparkSession spark) {
        EvalConfig c = config.eval();
        ObjectNode n = MAPPER.createObjectNode();
        String out = c.outputDir();
        if (settings.evalBase()) {
            EvalResult before =
                    EvalJob.run(spark, c.withModel(config.prep().modelPath(), "", out.isEmpty() ? "" : out + "/base"));
            n.set("before", before.toJson());
        }
        boolean exported =
                settings.stages().contains(Stage.EXPORT) && !config.export().adapterOnly();
        EvalResult after = EvalJob.run(
                spark,
                exported
                        ? c.withModel(config.export().exportDir(), "", out)
                        : c.withModel(trainedModel(), trainedAdapter(), out));
        n.set("after", after.toJson());
        if (after.pairs() > 0) {
            log.printf(
                    "run: reward accuracy %s%s on %d eval pairs (mean margin %.3f); exact match of the chosen "
                            + "responses %s%s%n",
                    n.has("before")
                            ? percent(n.path("before").path("eval_rewards/accuracies")) + " before training -> "
                            : "",
                    percent(n.path("after").path("eval_rewards/accuracies")),
                    after.pairs(),
                    n.path("after").path("eval_rewards/margins").asDouble(Double.NaN),
                    n.has("before") ? percent(n.path("before").path("exact_match")) + " -> " : "",
                    percent(n.path("after").path("exact_match")));
        } else if (n.has("before")) {
            log.printf(
                    "run: exact match %s before training -> %s after (%d eval documents); eval loss %.3f -> %.3f%n",
                    percent(n.path("before").path("exact_match")),
                    percent(n.path("after").path("exact_match")),
                    after.generated(),
                    n.path("before").path("eval_loss").asDouble(Double.NaN),
                    n.path("after").path("eval_loss").asDouble(Double.NaN));
        } else {
            log.printf(
                    "run: exact match %s (%d eval documents); eval loss %.3f%n",
                    percent(n.path("after").path("exact_match")), after.generated(), after.evalLoss());
        }
        log.flush();
        return n;
    }

    private static String percent(JsonNode value) {
        return value.isNumber() ? String.format("%.1f%%", 100 * value.asDouble()) : "n/a";
    }

    private static boolean exists(Configuration conf, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            return p.getFileSystem(conf).exists(p);
        } catch (IOException e) {
            return false;
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
