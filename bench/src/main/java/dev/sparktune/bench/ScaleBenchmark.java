package dev.sparktune.bench;

import static dev.sparktune.bench.ScaleCase.WARMUP_STEPS;
import static dev.sparktune.bench.TableCells.cell;
import static dev.sparktune.bench.TableCells.figure;

import dev.sparktune.trainer.api.FinetuningType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The scale ladder (issue "Real model sizes"): random-weight bf16 checkpoints with the published Qwen3 configs, a few
 * training steps of each case with our CLI, and PEFT's reference on the same rows where it fits; prints load time,
 * peak RSS, planned vs held bytes per rank, tokens/s and MFU, ours beside PEFT, and writes
 * bench/target/scale/results.json and scale.png.
 *
 * <p>Everything runs as child processes, one at a time, each under {@link LoggedProcess#BIG_RUN_LOCK}: per case, the
 * checkpoint when missing ({@code scripts/bench/make_scale_checkpoint.py}, kept in bench/target/scale/ckpt across
 * runs), the text corpus of its cutoff ({@code scripts/bench/scale_text.py}: every text exactly 3 full rows, so
 * every row is one CUTOFF-token chunk like PEFT's single-document rows), {@code prep} once per shape and cutoff,
 * {@code train} under {@code /usr/bin/time -v}, then {@code scripts/bench/peft_scale_reference.py} once per PEFT
 * setting. Each step's stdout and stderr are in the case's folder. A failed case is reported and the ladder goes on.
 * Every case runs one warm-up step and STEPS measured ones; rates are medians over the measured steps.
 *
 * <p>Usage (from the repository root; see bench/scale.sh): {@code ScaleBenchmark --python PY [--steps N] [--rows N]
 * [--peft-max-params N] [--driver-memory SIZE] [--one-rank] [--no-gradient-checkpointing] [CASE ...]} where CASE is
 * a shape (its default cases, see {@link ScaleCase#parse}) or SHAPE:TYPE:FSDP:RANKSxTHREADS[:CUTOFF]; default cases:
 * qwen3-0.6b qwen3-1.7b qwen3-4b.
 */
public final class ScaleBenchmark extends CaseBenchmark {
    private static final String DATASET = "scale_text";
    /** Rows per text in the corpus: scale_text.py's default. */
    private static final int CHUNKS_PER_TEXT = 3;

    private final Options options;
    private final Set<Integer> corpora = new HashSet<>();
    private final Set<Path> prepared = new HashSet<>();
    private final Map<ScaleCase.PeftKey, PeftOutcome> peftRuns = new HashMap<>();
    private final List<CaseResult> results = new ArrayList<>();

    private ScaleBenchmark(Options options, Path root) {
        super(root, "scale", options.python(), options.cases());
        this.options = options;
    }

    /**
     * What the command line sets.
     *
     * @param python                the reference environment's interpreter
     * @param rowsPerStep           rows per optimizer step over all ranks, and PEFT's --rows
     * @param peftMaxParams         PEFT runs only for models of at most this many parameters: it loads them in
     *                              fp32, 16 GB for 4B before any activation, on a 24 GiB machine
     * @param driverMemory          -Xmx of our train JVM, or null for each shape's own
     * @param gradientCheckpointing on both sides
     * @param cases                 in the order they run
     */
    record Options(
            String python,
            int rowsPerStep,
            long peftMaxParams,
            String driverMemory,
            boolean gradientCheckpointing,
            List<ScaleCase> cases) {
        Options {
            ScaleCase.requireWholeShares("--rows", rowsPerStep, cases);
        }

        static Options parse(String[] args) {
            ScaleArgs parsed = ScaleArgs.parse(
                    args, "--rows", List.of("--peft-max-params"), List.of("--no-gradient-checkpointing"));
            long peftMaxParams = (long) Double.parseDouble(parsed.own().getOrDefault("--peft-max-params", "3e9"));
            boolean checkpointing = !parsed.own().containsKey("--no-gradient-checkpointing");
            List<ScaleCase> cases = new ArrayList<>();
            for (String spec :
                    parsed.specs().isEmpty() ? List.of("qwen3-0.6b", "qwen3-1.7b", "qwen3-4b") : parsed.specs()) {
                cases.addAll(ScaleCase.parse(spec, parsed.steps(), parsed.oneRank()));
            }
            return new Options(
                    parsed.python(), parsed.perStep(), peftMaxParams, parsed.driverMemory(), checkpointing, cases);
        }
    }

    /** PEFT's side of a case: its figures, or why there are none (skipped, or the run failed). */
    record PeftOutcome(Measurement measured, String note) {}

    /** One case's outcome; {@code ours} is null when our run failed, with {@code oursError} saying how. */
    record CaseResult(ScaleCase scaleCase, long params, Measurement ours, String oursError, PeftOutcome peft)
            implements Result {
        /** PEFT's figures with an MFU on our normaliser, or null. */
        Measurement peftMeasured() {
            if (peft == null || peft.measured() == null) {
                return null;
            }
            return ours == null ? peft.measured() : peft.measured().withMfuRelativeTo(ours);
        }
    }

    public static void main(String[] args) throws Exception {
        new ScaleBenchmark(Options.parse(args), Path.of("").toAbsolutePath()).run();
    }

    @Override
    void runCase(ScaleCase c) throws IOException, InterruptedException {
        Path checkpoint;
        try {
            checkpoint = runner.checkpoints.of(c.shape());
        } catch (LoggedProcess.StepFailedException e) {
            results.add(new CaseResult(c, -1, null, runner.failed(e), null));
            writeResults();
            return;
        }
        long params = runner.checkpoints.params(c.shape());
        Measurement ours = null;
        String error = null;
        try {
            Path data = corpus(c.cutoff(), checkpoint);
            ours = train(c, checkpoint, data, prepared(c, checkpoint, data));
        } catch (LoggedProcess.StepFailedException | IllegalStateException | IOException e) {
            error = runner.failed(e); // reported in the table and results.json
        }
        // PEFT's figures stand on their own, so they are measured even when ours failed
        results.add(new CaseResult(c, params, ours, error, peft(c, checkpoint, params)));
        writeResults();
    }

    /** The corpus of one cutoff, enough full rows for every case at that cutoff; written once per run. */
    private Path corpus(int cutoff, Path checkpoint) throws IOException, InterruptedException {
        Path dir = work.resolve("data").resolve("cutoff-" + cutoff);
        if (!corpora.contains(cutoff)) {
            int rows = ScaleCase.mostRowsAt(cutoff, options.rowsPerStep(), options.cases());
            int texts = (rows + CHUNKS_PER_TEXT - 1) / CHUNKS_PER_TEXT;
            runner.writeCorpus(
                    dir,
                    "scale-text",
                    "scale_text.py",
                    checkpoint,
                    List.of(
                            "--texts",
                            Integer.toString(texts),
                            "--cutoff",
                            Integer.toString(cutoff),
                            "--chunks",
                            Integer.toString(CHUNKS_PER_TEXT)));
            corpora.add(cutoff);
        }
        return dir;
    }

    /** The packed table of the case's shape and cutoff, prepped once per run (again after a failed prep). */
    private Path prepared(ScaleCase c, Path checkpoint, Path data) throws IOException, InterruptedException {
        Path dir = work.resolve("prep").resolve(c.shape().name() + "-" + c.cutoff());
        Path table = dir.resolve("table");
        if (!prepared.contains(dir)) {
            runner.prep(dir, dataSettings(c, checkpoint, data, table));
            prepared.add(dir);
        }
        return table;
    }

    /** Our train run of the case, measured. */
    private Measurement train(ScaleCase c, Path checkpoint, Path data, Path table)
            throws IOException, InterruptedException {
        Path dir = work.resolve(c.dirName());
        FileTrees.delete(dir);
        Path output = dir.resolve("out");
        List<String> settings = new ArrayList<>(dataSettings(c, checkpoint, data, table));
        settings.addAll(c.trainSettings(
                output, options.rowsPerStep(), WARMUP_STEPS + c.steps(), options.gradientCheckpointing()));
        return runner.train(c, c.driverMemory(options.driverMemory()), dir, output, settings);
    }

    /** The PEFT reference of the case: run once per {@link ScaleCase.PeftKey}, skipped above --peft-max-params. */
    private PeftOutcome peft(ScaleCase c, Path checkpoint, long params) throws IOException, InterruptedException {
        ScaleCase.PeftKey key = c.peftKey();
        PeftOutcome known = peftRuns.get(key);
        if (known != null) {
            return known;
        }
        PeftOutcome outcome;
        if (params > options.peftMaxParams()) {
            outcome = new PeftOutcome(
                    null,
                    String.format(
                            Locale.ROOT, "skipped: %d params > --peft-max-params %d", params, options.peftMaxParams()));
        } else {
            Path dir = work.resolve("peft")
                    .resolve(c.shape().name() + "-" + c.finetuning().key() + "-" + c.cutoff() + "-" + c.steps()
                            + "steps-" + key.threads() + "threads");
            List<String> command = new ArrayList<>(List.of(
                    options.python(),
                    "scripts/bench/peft_scale_reference.py",
                    checkpoint.toString(),
                    "--rows",
                    Integer.toString(options.rowsPerStep()),
                    "--seq",
                    Integer.toString(c.cutoff())));
            command.addAll(c.referenceStepOptions());
            if (options.gradientCheckpointing()) {
                command.add("--gradient-checkpointing");
            }
            if (c.finetuning() == FinetuningType.FULL) {
                command.add("--full");
            }
            progress("PEFT: " + key.threads() + " threads, logs in " + dir);
            try {
                LoggedProcess.Logs logs = runner.processes.runLocked(
                        dir, "peft", Map.of("OMP_NUM_THREADS", Integer.toString(key.threads())), command);
                List<String> lines = Files.readAllLines(logs.out(), StandardCharsets.UTF_8);
                outcome = new PeftOutcome(Measurement.ofReference(JSON.readTree(lines.get(lines.size() - 1))), null);
            } catch (LoggedProcess.StepFailedException e) {
                progress("PEFT failed: " + e.getMessage());
                outcome = new PeftOutcome(null, "failed: " + e.summary());
            }
        }
        peftRuns.put(key, outcome);
        return outcome;
    }

    /** The settings prep and train share: the model, the corpus and the table. */
    private static List<String> dataSettings(ScaleCase c, Path checkpoint, Path data, Path table) {
        return CaseRunner.dataSettings(checkpoint, DATASET, data, "pt", c.cutoff(), table);
    }

    private void writeResults() throws IOException {
        ScaleChart chart = new ScaleChart();
        writeResultsJson(results, (r, node) -> {
            ScaleCase c = r.scaleCase();
            node.put("finetuning", c.finetuning().key());
            node.put("fsdp", c.sharding().key());
            node.put("ranks", c.ranks());
            node.put("threads_per_rank", c.threads());
            node.put("cutoff", c.cutoff());
            node.put("rows_per_step", options.rowsPerStep());
            node.put("warmup_steps", WARMUP_STEPS);
            node.put("measured_steps", c.steps());
            node.put("gradient_checkpointing", options.gradientCheckpointing());
            if (r.ours() != null) {
                r.ours().writeTo(node.putObject("ours"));
                chart.addTokensPerSecond(
                        "ours " + c.variant(), r.params(), r.ours().tokensPerSecond());
                chart.addBytesPerRank(
                        "ours held, " + c.variant(), r.params(), r.ours().heldBytesPerRank());
                chart.addBytesPerRank(
                        "ours peak RSS / ranks, " + c.variant(),
                        r.params(),
                        r.ours().peakRssBytes() / c.ranks());
            } else {
                node.put("ours_error", r.oursError());
            }
            Measurement peft = r.peftMeasured();
            if (peft != null) {
                peft.writeTo(node.putObject("peft"));
                String line = "PEFT " + c.finetuning().key() + " " + c.peftKey().threads() + " threads";
                chart.addTokensPerSecond(line, r.params(), peft.tokensPerSecond());
                chart.addBytesPerRank(line + ", peak RSS", r.params(), peft.peakRssBytes());
                if (r.ours() != null) {
                    node.put("ours_over_peft_tokens_per_s", r.ours().tokensPerSecond() / peft.tokensPerSecond());
                }
            } else if (r.peft() != null) {
                node.put("peft_note", r.peft().note());
            }
        });
        chart.write(work.resolve("scale.png"), "SparkTune vs PEFT, " + options.rowsPerStep() + " rows per step");
    }

    /**
     * One row per case for ours, and one for PEFT after the last case it is compared with (PEFT does not shard, so
     * the cases of one shape and mode share its row).
     */
    @Override
    void printTable() {
        System.out.printf(
                Locale.ROOT,
                "%nScale ladder: %d rows per step, %d warm-up step then the measured steps,"
                        + " gradient checkpointing %s, %d cores; GB = 1e9 bytes; ours/PEFT = tokens/s ratio; MFU is"
                        + " the trainer's (over ranks x the fp32 GEMM peak rank 0 measures at start), PEFT's the same"
                        + " scaled by the tokens/s ratio%n%n",
                options.rowsPerStep(),
                WARMUP_STEPS,
                options.gradientCheckpointing() ? "on" : "off",
                Runtime.getRuntime().availableProcessors());
        System.out.println("| case | side | load s | peak RSS GB | planned GB/rank | held GB/rank | tokens/s | MFU |"
                + " ours/PEFT |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < results.size(); i++) {
            CaseResult r = results.get(i);
            Measurement peft = r.peftMeasured();
            ScaleCase c = r.scaleCase();
            String size = r.params() > 0 ? String.format(Locale.ROOT, " (%.2fB)", r.params() / 1e9) : "";
            String label = c.label() + size;
            if (r.ours() == null) {
                System.out.printf("| %s | ours | failed, %s | | | | | | |%n", label, cell(r.oursError()));
            } else {
                System.out.println(row(
                        label,
                        "ours",
                        r.ours(),
                        peft == null
                                ? "—"
                                : String.format(
                                        Locale.ROOT, "%.2f", r.ours().tokensPerSecond() / peft.tokensPerSecond())));
            }
            ScaleCase.PeftKey key = c.peftKey();
            boolean lastOfKey = results.subList(i + 1, results.size()).stream()
                    .noneMatch(later -> later.scaleCase().peftKey().equals(key));
            if (lastOfKey && r.peft() != null) {
                String peftLabel = c.shape().name() + " " + c.finetuning().key() + " @" + c.cutoff() + size;
                String side = "PEFT " + key.threads() + " threads";
                if (peft != null) {
                    System.out.println(row(peftLabel, side, peft, ""));
                } else {
                    System.out.printf(
                            "| %s | %s | %s | | | | | | |%n",
                            peftLabel, side, cell(r.peft().note()));
                }
            }
        }
    }

    private static String row(String label, String side, Measurement m, String ratio) {
        return String.format(
                Locale.ROOT,
                "| %s | %s | %s | %s | %s | %s | %s | %s |",
                label,
                side,
                m.loadAndPeakRssCells(),
                figure("%.2f", m.plannedBytesPerRank() / 1e9),
                figure("%.2f", m.heldBytesPerRank() / 1e9),
                figure("%.0f", m.tokensPerSecond()),
                Double.isFinite(m.mfu()) ? String.format(Locale.ROOT, "%.1f%%", 100 * m.mfu()) : "—",
                ratio);
    }
}
