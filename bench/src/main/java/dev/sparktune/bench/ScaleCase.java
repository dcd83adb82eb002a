package dev.sparktune.bench;

import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.SettingValue;
import dev.sparktune.trainer.api.Sharding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of our trainer in the scale ladder (or the DPO bench, whose rows are pairs): a shape, what is trained, how
 * it is sharded, and how the machine's cores are split into ranks. Every case trains rowsPerStep rows per optimizer
 * step, one row per micro-batch, so the 1-rank variant accumulates what the 2 ranks split, and both match PEFT's one
 * forward of --rows rows.
 *
 * @param shape      the model size
 * @param finetuning LORA (r 8, alpha 16, every linear layer) or FULL, the two modes PEFT's reference runs
 * @param sharding   train.fsdp
 * @param ranks      train.world_size and local[ranks]
 * @param threads    OMP_NUM_THREADS of each rank (ranks share one JVM, so the cores are split by this)
 * @param cutoff     tokens per row
 * @param steps      measured steps after the warm-up step
 */
record ScaleCase(
        ScaleShape shape, FinetuningType finetuning, Sharding sharding, int ranks, int threads, int cutoff, int steps) {
    /** Steps every case takes before its measured ones: the first step's compile and allocation stay out of rates. */
    static final int WARMUP_STEPS = 1;

    ScaleCase {
        if (finetuning == FinetuningType.FREEZE) {
            throw new IllegalArgumentException(
                    "case " + shape.name() + ": finetuning freeze has no PEFT reference;" + " use lora or full");
        }
        if (ranks < 1 || threads < 1 || cutoff < 2 || steps < 1) {
            throw new IllegalArgumentException("case " + shape.name() + ": ranks, threads and steps must be >= 1 and "
                    + "cutoff >= 2, got " + ranks + "x" + threads + ", cutoff " + cutoff + ", steps " + steps);
        }
    }

    /**
     * A case from the command line: a bare shape name is the issue's cases for it (LoRA at shard_grad_op and
     * full_shard, full fine-tuning at full_shard where the shape asks for it, all at 2 ranks x 1 thread; with
     * {@code oneRank} each training mode again at 1 rank x 2 threads), or
     * {@code SHAPE:TYPE:FSDP:RANKSxTHREADS[:CUTOFF]} names one case.
     *
     * @param steps measured steps, or 0 for the shape's default
     */
    static List<ScaleCase> parse(String spec, int steps, boolean oneRank) {
        String[] parts = spec.split(":");
        ScaleShape shape = ScaleShape.of(parts[0]);
        int measured = steps > 0 ? steps : shape.steps();
        if (parts.length == 1) {
            List<ScaleCase> cases = new ArrayList<>();
            List<FinetuningType> modes = shape.fullFinetune()
                    ? List.of(FinetuningType.LORA, FinetuningType.FULL)
                    : List.of(FinetuningType.LORA);
            for (FinetuningType mode : modes) {
                // full fine-tuning only at full_shard: the issue's case; shard_grad_op replicates the fp32 weights
                List<Sharding> shardings = mode == FinetuningType.LORA
                        ? List.of(Sharding.SHARD_GRAD_OP, Sharding.FULL_SHARD)
                        : List.of(Sharding.FULL_SHARD);
                for (Sharding sharding : shardings) {
                    cases.add(new ScaleCase(shape, mode, sharding, 2, 1, shape.cutoff(), measured));
                }
                if (oneRank) {
                    cases.add(new ScaleCase(shape, mode, Sharding.NO_SHARD, 1, 2, shape.cutoff(), measured));
                }
            }
            return cases;
        }
        if (parts.length < 4 || parts.length > 5 || !parts[3].matches("\\d+x\\d+")) {
            throw new IllegalArgumentException("case '" + spec + "': expected SHAPE or "
                    + "SHAPE:TYPE:FSDP:RANKSxTHREADS[:CUTOFF], e.g. qwen3-4b:lora:full_shard:2x1:2048");
        }
        String[] layout = parts[3].split("x");
        return List.of(new ScaleCase(
                shape,
                SettingValue.parse(FinetuningType.class, "finetuning_type", parts[1]),
                SettingValue.parse(Sharding.class, "fsdp", parts[2]),
                Integer.parseInt(layout[0]),
                Integer.parseInt(layout[1]),
                parts.length == 5 ? Integer.parseInt(parts[4]) : shape.cutoff(),
                measured));
    }

    /**
     * Checks that each case's ranks split the per-step batch evenly.
     *
     * @param option the bench's per-step batch option (--rows, --pairs), for the message
     */
    static void requireWholeShares(String option, int perStep, List<ScaleCase> cases) {
        for (ScaleCase c : cases) {
            if (perStep % c.ranks() != 0) {
                throw new IllegalArgumentException(option + " " + perStep + " is not a multiple of the " + c.ranks()
                        + " ranks of case " + c.label());
            }
        }
    }

    /** The rows the longest case of {@code cutoff} trains at {@code perStep} rows a step, its warm-up included. */
    static int mostRowsAt(int cutoff, int perStep, List<ScaleCase> cases) {
        return cases.stream()
                .filter(c -> c.cutoff() == cutoff)
                .mapToInt(c -> perStep * (WARMUP_STEPS + c.steps()))
                .max()
                .orElseThrow();
    }

    /** -Xmx of our JVMs for this case: {@code given} (--driver-memory) when not null, else the shape's own. */
    String driverMemory(String given) {
        return given != null ? given : shape.driverMemory();
    }

    /** For the table and the chart's legend: e.g. {@code qwen3-4b lora full_shard 2x1 @2048}. */
    String label() {
        return shape.name() + " " + variant() + " @" + cutoff;
    }

    /** What the case is apart from its size: the chart draws one line per variant over the shapes. */
    String variant() {
        return finetuning.key() + " " + sharding.key() + " " + ranks + "x" + threads;
    }

    /**
     * The train verb's settings of this case beside the model's and the table's: {@code finetuning} (LoRA r 8, alpha
     * 16 on every linear layer), the ranks and their sharding, one row per micro-batch and {@code rowsPerStep} per
     * optimizer step, a log line every step and no checkpoints.
     *
     * @param steps every step the run takes, the warm-up included
     */
    List<String> trainSettings(Path output, int rowsPerStep, int steps, boolean gradientCheckpointing) {
        return List.of(
                "train.output_dir=" + SparkSubmit.quoted(output),
                "train.overwrite_output_dir=true",
                "train.finetuning_type=" + finetuning.key(),
                "train.lora_rank=8",
                "train.lora_alpha=16",
                "train.lora_target=all",
                "train.world_size=" + ranks,
                "train.fsdp=" + sharding.key(),
                "train.per_device_train_batch_size=1",
                "train.global_batch_rows=" + rowsPerStep,
                "train.max_steps=" + steps,
                "train.logging_steps=1",
                "train.save_steps=0",
                "train.gradient_checkpointing=" + gradientCheckpointing,
                // the reference scripts' optimizer settings; they do not change the step's cost
                "train.learning_rate=1e-4",
                "train.lr_scheduler_type=constant");
    }

    /**
     * Our CLI's {@code verb} for this case under {@code /usr/bin/time -v} (its report written to {@code time}): one
     * JVM with a heap of {@code memory} whose local master has a core for every thread of every rank (the trainer
     * and the reference pass give each rank the master's cores divided among the ranks).
     *
     * @param submitOptions more spark-submit options
     */
    List<String> timedLaunch(String verb, String memory, Path time, List<String> submitOptions) {
        List<String> launch = new ArrayList<>(List.of(
                "/usr/bin/time",
                "-v",
                "-o",
                time.toString(),
                "./spark-submit.sh",
                "--driver-memory",
                memory,
                "--master",
                "local[" + ranks * threads + "]"));
        launch.addAll(submitOptions);
        launch.add(verb);
        return launch;
    }

    /**
     * The options a reference script (peft_scale_reference.py, trl_dpo_reference.py) runs this case's steps with, on
     * the cores of its {@link #peftKey()}.
     */
    List<String> referenceStepOptions() {
        return List.of(
                "--steps",
                Integer.toString(steps),
                "--warmup",
                Integer.toString(WARMUP_STEPS),
                "--threads",
                Integer.toString(peftKey().threads()));
    }

    /** The case's folder name in its bench's work folder (bench/target/scale, bench/target/dpo). */
    String dirName() {
        return shape.name() + "-" + finetuning.key() + "-" + sharding.key() + "-" + ranks + "x" + threads + "-"
                + cutoff;
    }

    /**
     * The PEFT run this case is compared with (in the DPO bench, TRL's): neither shards, so every case of one shape,
     * mode, cutoff, step count and core count shares one.
     */
    PeftKey peftKey() {
        return new PeftKey(shape, finetuning, cutoff, steps, ranks * threads);
    }

    /** What a PEFT reference run depends on; {@code threads} is every core our case uses. */
    record PeftKey(ScaleShape shape, FinetuningType finetuning, int cutoff, int steps, int threads) {}
}
