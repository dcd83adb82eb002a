package dev.sparktune.bench;

import static dev.sparktune.bench.ScaleCase.WARMUP_STEPS;
import static dev.sparktune.bench.TableCells.cell;
import static dev.sparktune.bench.TableCells.figure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The preference-training benchmark (issue 16): our DPO step (LoRA r 8, pref_loss sigmoid, against the reference
 * log-probs of the ref-logprobs pass, one model resident) beside TRL's DPOTrainer with and without
 * precompute_ref_log_probs, on the same checkpoint, token ids and cores; prints load time, peak RSS, tokens/s and
 * ours/TRL for each, with the reference pass's own throughput, and writes bench/target/dpo/results.json.
 *
 * <p>Everything runs as child processes, one at a time, each under {@link LoggedProcess#BIG_RUN_LOCK}: the shape's
 * checkpoint ({@link ScaleCheckpoints}, shared with the scale ladder), the pairs of the case's row length
 * ({@code scripts/bench/scale_pairs.py}: every document exactly half a row, so a pair fills its row with no padding),
 * {@code prep} with data.stage = dpo once per shape and row length (packing off, as LLaMA-Factory prepares pairs;
 * template empty, so a document is exactly its words), then per case {@code ref-logprobs} and {@code train}, each
 * under {@code /usr/bin/time -v}, and {@code scripts/bench/trl_dpo_reference.py} twice per TRL setting (the
 * reference forward in every step; precompute_ref_log_probs), reading the pairs from our packed table. Each step's
 * stdout and stderr are in the case's folder; a failed step is reported and the rest goes on. Every training run
 * takes one warm-up step and STEPS measured ones of PAIRS pairs (one pair per micro-batch on both sides); rates are
 * medians over the measured steps. The table holds exactly the pairs the steps train, and both reference passes
 * score all of them.
 *
 * <p>Usage (from the repository root; see bench/dpo.sh): {@code DpoBenchmark --python PY [--steps N] [--pairs N]
 * [--driver-memory SIZE] [--one-rank] [CASE ...]} where CASE is a shape (LoRA at 2 ranks x 1 thread with the default
 * fsdp, auto; with --one-rank also 1 rank x 2 threads) or SHAPE:lora:FSDP:RANKSxTHREADS[:ROW] as the scale ladder's
 * cases, ROW being the tokens of a pair's row (data.cutoff_len is half of it); default case: qwen3-0.6b.
 */
public final class DpoBenchmark extends CaseBenchmark {
    private static final String DATASET = "scale_pairs";
    /** How RefLogProbsJob describes its Spark jobs. */
    private static final String REF_LOGPROBS_JOBS = "SparkTune ref-logprobs: ";

    /** The launcher's log line of the mode fsdp = auto chose. */
    private static final Pattern AUTO_CHOICE = Pattern.compile("fsdp auto: (\\w+)");
    /**
     * TRL runs only for models of at most this many parameters: it loads them in fp32, 16 GB for 4B before any
     * activation, on a 24 GiB machine (the scale ladder's --peft-max-params default).
     */
    private static final long TRL_MAX_PARAMS = 3_000_000_000L;

    private final Options options;
    private final Map<Integer, Path> pairSets = new HashMap<>();
    private final Map<Path, PreparedTable> prepared = new HashMap<>();
    private final Map<ScaleCase.PeftKey, TrlSides> trlRuns = new HashMap<>();
    private final List<CaseResult> results = new ArrayList<>();

    private DpoBenchmark(Options options, Path root) {
        super(root, "dpo", options.python(), options.cases());
        this.options = options;
    }

    /**
     * What the command line sets.
     *
     * @param python       the reference environment's interpreter
     * @param pairsPerStep pairs per optimizer step over all ranks (one per micro-batch), and TRL's gradient
     *                     accumulation steps of one pair each
     * @param driverMemory -Xmx of our JVMs, or null for each shape's own
     * @param cases        in the order they run
     */
    record Options(String python, int pairsPerStep, String driverMemory, List<ScaleCase> cases) {
        Options {
            ScaleCase.requireWholeShares("--pairs", pairsPerStep, cases);
        }

        static Options parse(String[] args) {
            ScaleArgs parsed = ScaleArgs.parse(args, "--pairs", List.of(), List.of());
            List<ScaleCase> cases = new ArrayList<>();
            for (String spec : parsed.specs().isEmpty() ? List.of("qwen3-0.6b") : parsed.specs()) {
                cases.addAll(cases(spec, parsed.steps(), parsed.oneRank()));
            }
            return new Options(parsed.python(), parsed.perStep(), parsed.driverMemory(), cases);
        }

        /** A shape's default cases, or the one case a full spec names; LoRA only, rows of whole pairs. */
        private static List<ScaleCase> cases(String spec, int steps, boolean oneRank) {
            List<ScaleCase> cases = new ArrayList<>();
            if (!spec.contains(":")) {
                ScaleShape shape = ScaleShape.of(spec);
                int measured = steps > 0 ? steps : shape.steps();
                cases.add(new ScaleCase(shape, FinetuningType.LORA, Sharding.AUTO, 2, 1, shape.cutoff(), measured));
                if (oneRank) {
                    cases.add(new ScaleCase(
                            shape, FinetuningType.LORA, Sharding.NO_SHARD, 1, 2, shape.cutoff(), measured));
                }
                return cases;
            }
            for (ScaleCase c : ScaleCase.parse(spec, steps, false)) {
                // TRL's reference is then the policy with its adapters disabled, as ours is the base model
                if (c.finetuning() != FinetuningType.LORA) {
                    throw new IllegalArgumentException("case '" + spec + "': the DPO bench trains LoRA only");
                }
                if (c.cutoff() % 2 != 0) {
                    throw new IllegalArgumentException("case '" + spec + "': a row holds a pair of equal documents,"
                            + " so its length must be even, got " + c.cutoff());
                }
                cases.add(c);
            }
            return cases;
        }
    }

    /**
     * A packed table of pairs as prep wrote it.
     *
     * @param source the dataset folder it was prepped from
     * @param pairs  its pairs
     * @param tokens every token of their documents
     */
    record PreparedTable(Path path, Path source, long pairs, long tokens) {}

    /**
     * A reference pass over every document of the table; its rates are over {@code scoringSeconds}.
     *
     * @param seconds        ours: the ref-logprobs job as its summary reports it (pinning the table, the Spark jobs,
     *                       Delta's transactions, the output table committed); TRL: its precompute in DPOTrainer's
     *                       constructor, the model loaded before
     * @param scoringSeconds ours: the stage whose tasks load the model and score the rows (the Spark event log's);
     *                       TRL: {@code seconds}
     * @param tokens         every token of the documents, which the passes read (the job counts supervised ones)
     * @param peakRssBytes   ours: the ref-logprobs JVM's; TRL's precompute shares its process with training, so it
     *                       has none of its own (NaN)
     */
    record ReferencePass(double seconds, double scoringSeconds, long documents, long tokens, double peakRssBytes) {
        double documentsPerSecond() {
            return documents / scoringSeconds;
        }

        double tokensPerSecond() {
            return tokens / scoringSeconds;
        }

        void writeTo(ObjectNode node) {
            node.put("seconds", seconds);
            node.put("scoring_seconds", scoringSeconds);
            node.put("documents", documents);
            node.put("tokens", tokens);
            node.put("documents_per_s", documentsPerSecond());
            node.put("tokens_per_s", tokensPerSecond());
            if (Double.isFinite(peakRssBytes)) {
                node.put("peak_rss_bytes", peakRssBytes);
            }
        }
    }

    /** One TRL run: its figures and its precompute pass (null without one), or a note why there are none. */
    record TrlRun(Measurement measured, ReferencePass precompute, String note) {}

    /** TRL's two runs for a setting: the reference forward in every step, and precompute_ref_log_probs. */
    record TrlSides(TrlRun eachStep, TrlRun precomputed) {}

    /**
     * One case's outcome; a side that failed has a null figure and its error.
     *
     * @param fsdpTrained the mode our train run used (fsdp auto's choice), null when it did not run
     */
    record CaseResult(
            ScaleCase scaleCase,
            long params,
            String fsdpTrained,
            ReferencePass oursReference,
            Measurement ours,
            String oursError,
            TrlSides trl)
            implements Result {}

    public static void main(String[] args) throws Exception {
        new DpoBenchmark(Options.parse(args), Path.of("").toAbsolutePath()).run();
    }

    @Override
    void runCase(ScaleCase c) throws IOException, InterruptedException {
        Path checkpoint;
        PreparedTable table;
        try {
            checkpoint = runner.checkpoints.of(c.shape());
            table = prepared(c, checkpoint, pairs(c.cutoff(), checkpoint));
        } catch (LoggedProcess.StepFailedException | IllegalStateException e) {
            // without the table neither side can run
            results.add(new CaseResult(c, -1, null, null, null, runner.failed(e), null));
            writeResults();
            return;
        }
        ReferencePass reference = null;
        Measurement ours = null;
        String fsdpTrained = null;
        String error = null;
        Path dir = work.resolve(c.dirName());
        FileTrees.delete(dir);
        try {
            reference = referencePass(c, checkpoint, table, dir);
            ours = train(c, checkpoint, table, dir);
            fsdpTrained = fsdpTrained(c, dir.resolve("train.err"));
        } catch (LoggedProcess.StepFailedException | IllegalStateException | IOException e) {
            error = runner.failed(e);
        }
        // TRL's figures stand on their own, so they are measured even when ours failed
        long params = runner.checkpoints.params(c.shape());
        results.add(new CaseResult(c, params, fsdpTrained, reference, ours, error, trl(c, checkpoint, table, params)));
        writeResults();
    }

    /** The pairs of one row length, as many as the longest case of that length trains; written once per run. */
    private Path pairs(int rowTokens, Path checkpoint) throws IOException, InterruptedException {
        Path known = pairSets.get(rowTokens);
        if (known != null) {
            return known;
        }
        Path dir = work.resolve("data").resolve("row-" + rowTokens);
        runner.writeCorpus(
                dir,
                "scale-pairs",
                "scale_pairs.py",
                checkpoint,
                List.of(
                        "--pairs",
                        Integer.toString(tablePairs(rowTokens)),
                        "--doc-tokens",
                        Integer.toString(rowTokens / 2)));
        pairSets.put(rowTokens, dir);
        return dir;
    }

    /** The pairs a table of this row length holds: every pair the longest case of that length trains. */
    private int tablePairs(int rowTokens) {
        return ScaleCase.mostRowsAt(rowTokens, options.pairsPerStep(), options.cases());
    }

    /**
     * The packed table of the case's shape and row length, prepped once per run (again after a failed prep), checked
     * to hold every pair in full rows: a padded or truncated pair would cost our side compute its tokens do not count.
     */
    private PreparedTable prepared(ScaleCase c, Path checkpoint, Path data) throws IOException, InterruptedException {
        Path dir = work.resolve("prep").resolve(c.shape().name() + "-" + c.cutoff());
        PreparedTable known = prepared.get(dir);
        if (known != null) {
            return known;
        }
        Path table = dir.resolve("table");
        runner.prep(dir, dataSettings(c, checkpoint, data, table));
        JsonNode stats = JSON.readTree(Path.of(table + "_stats.json").toFile());
        long pairs = tablePairs(c.cutoff());
        // prep's stats count a pair as one accepted document, of both its documents' tokens
        long accepted = stats.get("acceptedDocuments").asLong();
        long tokens = stats.get("tokens").asLong();
        long truncated = stats.get("truncatedDocuments").asLong();
        if (accepted != pairs || tokens != pairs * c.cutoff() || truncated != 0) {
            throw new IllegalStateException(table + " holds " + accepted + " pairs of " + tokens + " tokens, "
                    + truncated + " truncated; expected " + pairs + " pairs filling rows of " + c.cutoff() + " ("
                    + pairs * c.cutoff() + " tokens), none truncated");
        }
        PreparedTable made = new PreparedTable(table, data, pairs, tokens);
        prepared.put(dir, made);
        return made;
    }

    /** Our reference pass of the case: ref-logprobs with the case's ranks as its tasks, measured. */
    private ReferencePass referencePass(ScaleCase c, Path checkpoint, PreparedTable table, Path dir)
            throws IOException, InterruptedException {
        Path time = dir.resolve("ref-logprobs-time.txt");
        Path events = dir.resolve("ref-logprobs-events");
        List<String> settings = new ArrayList<>(dataSettings(c, checkpoint, table.source(), table.path()));
        settings.add("train.world_size=" + c.ranks());
        progress("ref-logprobs: " + c.ranks() + " task(s) x " + c.threads() + " thread(s), logs in " + dir);
        LoggedProcess.Logs logs = runner.cli.run(
                dir,
                "ref-logprobs",
                Map.of("OMP_NUM_THREADS", Integer.toString(c.threads())),
                c.timedLaunch(
                        "ref-logprobs", c.driverMemory(options.driverMemory()), time, SparkEventLog.optionsFor(events)),
                settings);
        JsonNode summary = TrainRunLogs.lastJsonLine(logs.out(), "documents");
        long documents = summary.get("documents").asLong();
        if (documents != 2 * table.pairs()) {
            throw new IllegalStateException(
                    "ref-logprobs scored " + documents + " documents of " + table.path() + "'s " + 2 * table.pairs());
        }
        return new ReferencePass(
                summary.get("seconds").asDouble(),
                SparkEventLog.longestStageSeconds(events, REF_LOGPROBS_JOBS),
                documents,
                table.tokens(),
                TrainRunLogs.peakRssBytes(time));
    }

    /** Our train run of the case on the reference log-probs just written, measured. */
    private Measurement train(ScaleCase c, Path checkpoint, PreparedTable table, Path dir)
            throws IOException, InterruptedException {
        Path output = dir.resolve("out");
        List<String> settings = new ArrayList<>(dataSettings(c, checkpoint, table.source(), table.path()));
        // gradient checkpointing on, as DPOConfig has it by default
        settings.addAll(c.trainSettings(output, options.pairsPerStep(), WARMUP_STEPS + c.steps(), true));
        settings.add("train.pref_loss=sigmoid");
        return runner.train(c, c.driverMemory(options.driverMemory()), dir, output, settings);
    }

    /** The mode our train run used: fsdp auto's choice as the launcher logs it, else the case's own. */
    private static String fsdpTrained(ScaleCase c, Path trainLog) throws IOException {
        if (c.sharding() != Sharding.AUTO) {
            return c.sharding().key();
        }
        Matcher chosen = AUTO_CHOICE.matcher(Files.readString(trainLog, StandardCharsets.UTF_8));
        if (!chosen.find()) {
            throw new IllegalStateException(trainLog + " has no 'fsdp auto: MODE' line");
        }
        return chosen.group(1);
    }

    /**
     * TRL's two runs for the case's setting ({@link ScaleCase#peftKey}: TRL does not shard), each made once; skipped
     * above {@link #TRL_MAX_PARAMS}.
     */
    private TrlSides trl(ScaleCase c, Path checkpoint, PreparedTable table, long params)
            throws IOException, InterruptedException {
        ScaleCase.PeftKey key = c.peftKey();
        TrlSides known = trlRuns.get(key);
        if (known != null) {
            return known;
        }
        TrlSides sides;
        if (params > TRL_MAX_PARAMS) {
            TrlRun skipped = new TrlRun(
                    null, null, String.format(Locale.ROOT, "skipped: %d params > %d", params, TRL_MAX_PARAMS));
            sides = new TrlSides(skipped, skipped);
        } else {
            Path dir = work.resolve("trl")
                    .resolve(c.shape().name() + "-" + c.cutoff() + "-" + c.steps() + "steps-" + key.threads()
                            + "threads");
            sides = new TrlSides(trlRun(c, checkpoint, table, dir, false), trlRun(c, checkpoint, table, dir, true));
        }
        trlRuns.put(key, sides);
        return sides;
    }

    private TrlRun trlRun(ScaleCase c, Path checkpoint, PreparedTable table, Path dir, boolean precompute)
            throws IOException, InterruptedException {
        int threads = c.peftKey().threads();
        String name = precompute ? "trl-precompute" : "trl";
        List<String> command = new ArrayList<>(List.of(
                options.python(),
                "scripts/bench/trl_dpo_reference.py",
                checkpoint.toString(),
                table.path().toString(),
                "--pairs",
                Integer.toString(options.pairsPerStep())));
        command.addAll(c.referenceStepOptions());
        if (precompute) {
            command.add("--precompute");
        }
        progress("TRL" + (precompute ? " with precompute_ref_log_probs" : "") + ": " + threads + " threads, logs in "
                + dir);
        try {
            LoggedProcess.Logs logs = runner.processes.runLocked(
                    dir, name, Map.of("OMP_NUM_THREADS", Integer.toString(threads)), command);
            JsonNode line = TrainRunLogs.lastJsonLine(logs.out(), "tokens_per_s");
            ReferencePass pass = null;
            if (precompute) {
                double seconds = line.get("precompute_s").asDouble();
                pass = new ReferencePass(
                        seconds,
                        seconds,
                        line.get("precompute_documents").asLong(),
                        line.get("precompute_tokens").asLong(),
                        Double.NaN);
            }
            return new TrlRun(Measurement.ofReference(line), pass, null);
        } catch (LoggedProcess.StepFailedException e) {
            progress("TRL failed: " + e.getMessage());
            return new TrlRun(null, null, "failed: " + e.summary());
        }
    }

    /** The settings prep, ref-logprobs and train share: the model, the pairs and the table. */
    private static List<String> dataSettings(ScaleCase c, Path checkpoint, Path data, Path table) {
        List<String> settings =
                new ArrayList<>(CaseRunner.dataSettings(checkpoint, DATASET, data, "dpo", c.cutoff() / 2, table));
        settings.addAll(List.of("model.template=empty", "data.packing=false"));
        return settings;
    }

    private void writeResults() throws IOException {
        writeResultsJson(results, this::writeCaseFields);
    }

    /** The DPO bench's own fields of a case in results.json. */
    private void writeCaseFields(CaseResult r, ObjectNode node) {
        ScaleCase c = r.scaleCase();
        node.put("fsdp", c.sharding().key());
        if (r.fsdpTrained() != null) {
            node.put("fsdp_trained", r.fsdpTrained());
        }
        node.put("ranks", c.ranks());
        node.put("threads_per_rank", c.threads());
        node.put("row_tokens", c.cutoff());
        node.put("cutoff_len", c.cutoff() / 2);
        node.put("pairs_per_step", options.pairsPerStep());
        node.put("warmup_steps", WARMUP_STEPS);
        node.put("measured_steps", c.steps());
        if (r.oursReference() != null) {
            r.oursReference().writeTo(node.putObject("ours_reference_pass"));
        }
        if (r.ours() != null) {
            r.ours().writeTo(node.putObject("ours"));
        } else {
            node.put("ours_error", r.oursError());
        }
        if (r.trl() != null) {
            writeTrl(node, "trl_reference_each_step", r.trl().eachStep(), r.ours());
            writeTrl(node, "trl_precompute_ref_log_probs", r.trl().precomputed(), r.ours());
        }
    }

    private static void writeTrl(ObjectNode caseNode, String key, TrlRun run, Measurement ours) {
        if (run.measured() == null) {
            caseNode.put(key + "_note", run.note());
            return;
        }
        ObjectNode node = caseNode.putObject(key);
        run.measured().writeTo(node);
        if (run.precompute() != null) {
            run.precompute().writeTo(node.putObject("reference_pass"));
        }
        if (ours != null) {
            node.put(
                    "ours_over_trl_tokens_per_s",
                    ours.tokensPerSecond() / run.measured().tokensPerSecond());
            node.put(
                    "ours_over_trl_peak_rss",
                    ours.peakRssBytes() / run.measured().peakRssBytes());
        }
    }

    /** Per case: our row, then TRL's two (cases of the same cores share TRL's runs, each compared with its own). */
    @Override
    void printTable() {
        System.out.printf(
                Locale.ROOT,
                "%nDPO (pref_loss sigmoid, LoRA r 8 on every linear layer, gradient"
                        + " checkpointing on both sides): %d pairs per step, one per micro-batch; %d warm-up step"
                        + " then the measured steps; %d cores; GB = 1e9 bytes; tokens = both documents of every pair"
                        + " (the prompt in each); ours/TRL = our tokens/s and peak RSS over that row's; reference"
                        + " pass = our ref-logprobs job (scoring: its stage that loads the model in each task and"
                        + " scores) or TRL's precompute_ref_log_probs (scoring only), its rates over the scoring"
                        + " seconds%n%n",
                options.pairsPerStep(),
                WARMUP_STEPS,
                Runtime.getRuntime().availableProcessors());
        System.out.println("| case | side | load s | peak RSS GB | tokens/s | ours/TRL tokens/s | ours/TRL peak RSS |"
                + " reference pass s | scoring s | reference docs/s | reference tokens/s | reference peak RSS GB |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (CaseResult r : results) {
            ScaleCase c = r.scaleCase();
            String label = c.label()
                    + (r.params() > 0 ? String.format(Locale.ROOT, " (%.2fB)", r.params() / 1e9) : "")
                    + (c.sharding() == Sharding.AUTO && r.fsdpTrained() != null ? ", auto: " + r.fsdpTrained() : "");
            if (r.ours() == null) {
                System.out.printf(
                        "| %s | ours | failed, %s | | | | | %s |%n",
                        label, cell(r.oursError()), referenceCells(r.oursReference()));
            } else {
                System.out.println(row(label, "ours", r.ours(), "", "", referenceCells(r.oursReference())));
            }
            if (r.trl() != null) {
                int threads = c.peftKey().threads();
                printTrl(
                        label,
                        "TRL, reference forward each step, " + threads + " threads",
                        r.trl().eachStep(),
                        r.ours());
                printTrl(
                        label,
                        "TRL, precompute_ref_log_probs, " + threads + " threads",
                        r.trl().precomputed(),
                        r.ours());
            }
        }
    }

    private static void printTrl(String label, String side, TrlRun run, Measurement ours) {
        if (run.measured() == null) {
            System.out.printf("| %s | %s | %s | | | | | | | | | |%n", label, side, cell(run.note()));
            return;
        }
        Measurement m = run.measured();
        String speed = ours == null ? "—" : figure("%.2f", ours.tokensPerSecond() / m.tokensPerSecond());
        String memory = ours == null ? "—" : figure("%.2f", ours.peakRssBytes() / m.peakRssBytes());
        System.out.println(row(
                label,
                side,
                m,
                speed,
                memory,
                run.precompute() != null ? referenceCells(run.precompute()) : "in every step | | | | "));
    }

    private static String row(String label, String side, Measurement m, String speed, String memory, String reference) {
        return String.format(
                Locale.ROOT,
                "| %s | %s | %s | %s | %s | %s | %s |",
                label,
                side,
                m.loadAndPeakRssCells(),
                figure("%.1f", m.tokensPerSecond()),
                speed,
                memory,
                reference);
    }

    /** The five reference-pass cells, joined by the table's pipes. */
    private static String referenceCells(ReferencePass pass) {
        if (pass == null) {
            return "— | | | | ";
        }
        String rss = Double.isFinite(pass.peakRssBytes()) ? figure("%.2f", pass.peakRssBytes() / 1e9) : "the run's";
        return String.format(
                Locale.ROOT,
                "%s | %s | %s | %s | %s",
                figure("%.1f", pass.seconds()),
                figure("%.1f", pass.scoringSeconds()),
                figure("%.2f", pass.documentsPerSecond()),
                figure("%.1f", pass.tokensPerSecond()),
                rss);
    }
}
