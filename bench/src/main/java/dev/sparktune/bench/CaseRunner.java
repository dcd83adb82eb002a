package dev.sparktune.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The child processes the benches of {@link ScaleCase}s (the scale ladder, the DPO bench) run for a case, each logged
 * and under {@link LoggedProcess#BIG_RUN_LOCK}: the shape's checkpoint, the corpus a generator script writes with its
 * tokenizer, {@code prep} of that corpus, and our measured {@code train} run.
 */
final class CaseRunner {
    final LoggedProcess processes;
    /** Our CLI, for the verbs a bench runs beside prep and train. */
    final SparkSubmit cli;

    final ScaleCheckpoints checkpoints;
    private final String python;
    private final Consumer<String> progress;

    /**
     * @param root     the repository root
     * @param python   the reference environment's interpreter
     * @param progress where the bench reports what it is doing
     */
    CaseRunner(Path root, String python, Consumer<String> progress) {
        this.processes = new LoggedProcess(root);
        this.cli = new SparkSubmit(processes, progress);
        this.checkpoints = new ScaleCheckpoints(root, processes, python, progress);
        this.python = python;
        this.progress = progress;
    }

    /**
     * What a failed step leaves in a case's results, reported as it happens: a step's log summary, or the exception.
     * The other cases still run.
     */
    String failed(Exception e) {
        if (e instanceof LoggedProcess.StepFailedException step) {
            progress.accept("failed: " + step.getMessage());
            return step.summary();
        }
        progress.accept("failed: " + e);
        return e.toString();
    }

    /**
     * Runs {@code scripts/bench/SCRIPT} (scale_text.py, scale_pairs.py), which writes a corpus into {@code dir} with
     * the tokenizer of {@code checkpoint}; its logs NAME.out and NAME.err go there too.
     *
     * @param options the script's own options
     */
    void writeCorpus(Path dir, String name, String script, Path checkpoint, List<String> options)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                python,
                "scripts/bench/" + script,
                checkpoint.resolve("tokenizer.json").toString(),
                dir.toString()));
        command.addAll(options);
        processes.runLocked(dir, name, Map.of(), command);
    }

    /**
     * The settings prep and the verbs reading its table share: the model, {@code dataset} of the corpus in
     * {@code data} at {@code stage} and {@code cutoffLen}, no eval split, and the table.
     */
    static List<String> dataSettings(
            Path checkpoint, String dataset, Path data, String stage, int cutoffLen, Path table) {
        return List.of(
                "model.model_name_or_path=" + SparkSubmit.quoted(checkpoint),
                "data.dataset=" + dataset,
                "data.dataset_dir=" + SparkSubmit.quoted(data),
                "data.stage=" + stage,
                "data.cutoff_len=" + cutoffLen,
                "data.val_size=0",
                "prep.output_table=" + SparkSubmit.quoted(table));
    }

    /** Our prep of {@code settings} into a fresh {@code dir} (what was there is deleted): 2 GB, local[2]. */
    void prep(Path dir, List<String> settings) throws IOException, InterruptedException {
        FileTrees.delete(dir);
        cli.run(
                dir,
                "prep",
                Map.of(),
                List.of("./spark-submit.sh", "--driver-memory", "2g", "--master", "local[2]", "prep"),
                settings);
    }

    /**
     * Our train run of case {@code c} under /usr/bin/time with a heap of {@code memory}, its logs in {@code dir},
     * measured from them and the trainer log in {@code output} (the train.output_dir {@code settings} set).
     */
    Measurement train(ScaleCase c, String memory, Path dir, Path output, List<String> settings)
            throws IOException, InterruptedException {
        Path time = dir.resolve("time.txt");
        progress.accept(
                "train: " + c.ranks() + " rank(s) x " + c.threads() + " thread(s), -Xmx" + memory + ", logs in " + dir);
        LoggedProcess.Logs logs = cli.run(
                dir,
                "train",
                Map.of("OMP_NUM_THREADS", Integer.toString(c.threads())),
                c.timedLaunch("train", memory, time, List.of()),
                settings);
        return TrainRunLogs.read(logs.err(), logs.out(), time, output.resolve("trainer_log.jsonl"));
    }
}
