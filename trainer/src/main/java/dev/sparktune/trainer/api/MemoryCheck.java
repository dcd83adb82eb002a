package dev.sparktune.trainer.api;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.trainer.plan.MemoryBudget;
import dev.sparktune.trainer.task.MemoryPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A training run's memory plan against its budget, before launch: the lines {@code train} logs and
 * {@code train --dry-run} prints, or a refusal naming the plan, the budget and the settings that would make it fit
 * (each tried with the same planner).
 */
public final class MemoryCheck {
    /**
     * fsdp = auto takes shard_grad_op only when its plan leaves this fraction of the budget free: the plan has come
     * out 0.6-6.6% under the measured peak resident set (docs/BENCHMARKS.md, "Real model sizes").
     */
    public static final double AUTO_HEADROOM = 0.10;

    private MemoryCheck() {}

    /**
     * The config to launch, with fsdp = auto resolved, and the report lines: the plan, the budget and, for auto,
     * which mode it chose and why.
     *
     * @param config what the rank tasks will run
     * @param report the lines {@code train} logs and {@code train --dry-run} prints
     */
    public record Checked(TrainConfig config, List<String> report) {
        public Checked {
            report = List.copyOf(report);
        }
    }

    /**
     * @param stored the checkpoint's weight dtype (frozen weights stay in a bf16 / fp16 one)
     * @param seqLen tokens per packed row
     * @throws NotEnoughMemoryException the plan exceeds the budget
     */
    public static Checked require(
            TrainConfig requested, ModelConfig model, DataType stored, int seqLen, MemoryBudget budget) {
        List<String> lines = new ArrayList<>();
        TrainConfig config = requested;
        if (requested.parallelism().sharding() == Sharding.AUTO) {
            config = requested.toBuilder()
                    .sharding(autoSharding(requested, model, stored, seqLen, budget, lines))
                    .build();
        }
        MemoryPlan plan = plan(config, model, stored, seqLen);
        lines.add(
                0,
                "memory plan per rank (" + config.parallelism().worldSize() + " rank"
                        + (config.parallelism().worldSize() == 1 ? "" : "s")
                        + ", fsdp " + config.parallelism().sharding().key() + ", "
                        + config.finetuning().type().key() + ", gradient_checkpointing "
                        + (config.activations().gradientCheckpointing() ? "on" : "off") + ", "
                        + config.batch().perDeviceRows() + " row"
                        + (config.batch().perDeviceRows() == 1 ? "" : "s") + " x " + seqLen
                        + " tokens per micro-batch):");
        lines.addAll(1, plan.describe().lines().toList());
        String budgetLine = "budget per rank: "
                + (budget.perRank() == Long.MAX_VALUE ? "unlimited" : MemoryPlan.gb(budget.perRank())) + " — "
                + budget.source();
        lines.add(budgetLine);
        if (budget.fits(plan.total())) {
            lines.add("memory: fits (" + MemoryPlan.gb(plan.total()) + " of " + MemoryPlan.gb(budget.perRank())
                    + " per rank)");
            return new Checked(config, lines);
        }
        List<String> fixes = fixes(config, model, stored, seqLen, budget);
        throw new NotEnoughMemoryException(
                plan.total(),
                budget.perRank(),
                "train: each rank needs "
                        + MemoryPlan.gb(plan.total()) + " but may allocate " + MemoryPlan.gb(budget.perRank()) + ".\n"
                        + String.join("\n", lines) + "\nwhat one change gives (\"fits\": enough alone):\n"
                        + String.join("\n", fixes) + (fixes.isEmpty() ? "" : "\n") + "  or " + budget.raise());
    }

    /**
     * fsdp = auto: no_shard on one rank (nothing to split); on several, shard_grad_op when it fits with
     * {@link #AUTO_HEADROOM} to spare (the traffic of no_shard, a W-th of the AdamW state and update), else
     * full_shard if it holds less (freeze: shard_grad_op, full_shard does not split a partly trained base).
     * Appends the line saying which and why.
     */
    private static Sharding autoSharding(
            TrainConfig config,
            ModelConfig model,
            DataType stored,
            int seqLen,
            MemoryBudget budget,
            List<String> lines) {
        if (config.parallelism().worldSize() == 1) {
            lines.add("fsdp auto: no_shard (one rank holds everything in any mode)");
            return Sharding.NO_SHARD;
        }
        long sgo = plan(config.toBuilder().sharding(Sharding.SHARD_GRAD_OP).build(), model, stored, seqLen)
                .total();
        boolean roomy = budget.perRank() == Long.MAX_VALUE || sgo <= (1 - AUTO_HEADROOM) * budget.perRank();
        String sgoFigure = "shard_grad_op's plan " + MemoryPlan.gb(sgo) + (roomy ? " leaves " : " does not leave ")
                + Math.round(AUTO_HEADROOM * 100) + "% of the budget free";
        if (roomy || config.finetuning().type() == FinetuningType.FREEZE) {
            lines.add("fsdp auto: shard_grad_op (" + sgoFigure
                    + (roomy
                            ? "; the traffic of no_shard with 1/"
                                    + config.parallelism().worldSize() + " of the AdamW state"
                            : "; freeze cannot use full_shard")
                    + ")");
            return Sharding.SHARD_GRAD_OP;
        }
        long full = plan(config.toBuilder().sharding(Sharding.FULL_SHARD).build(), model, stored, seqLen)
                .total();
        if (full >= sgo) {
            // a model of few layers: the gathered layer slot outweighs what sharding the layers saves
            lines.add("fsdp auto: shard_grad_op (" + sgoFigure + "; full_shard would hold more, " + MemoryPlan.gb(full)
                    + ")");
            return Sharding.SHARD_GRAD_OP;
        }
        lines.add("fsdp auto: full_shard (" + sgoFigure + "; full_shard holds " + MemoryPlan.gb(full) + ", "
                + "gathering each decoder layer's weights in every forward and backward)");
        return Sharding.FULL_SHARD;
    }

    /** The plan of one rank for this config (micro-batches of per_device_train_batch_size rows; fsdp resolved). */
    public static MemoryPlan plan(TrainConfig config, ModelConfig model, DataType stored, int seqLen) {
        return MemoryPlan.of(config, model, stored, config.batch().perDeviceRows(), seqLen);
    }

    /** Each single change that reduces a rank's plan, with its figure and whether it fits. */
    private static List<String> fixes(
            TrainConfig config, ModelConfig model, DataType stored, int seqLen, MemoryBudget budget) {
        List<String> fixes = new ArrayList<>();
        if (!config.activations().gradientCheckpointing()) {
            fix(
                    fixes,
                    "train.gradient_checkpointing = true (LLaMA-Factory's default; one more forward)",
                    config,
                    b -> b.gradientCheckpointing(true),
                    model,
                    stored,
                    seqLen,
                    seqLen,
                    budget);
        }
        if (config.parallelism().sharding() != Sharding.FULL_SHARD
                && config.finetuning().type() != FinetuningType.FREEZE
                && config.parallelism().worldSize() > 1) {
            fix(
                    fixes,
                    "train.fsdp = full_shard (the decoder layers split over the ranks)",
                    config,
                    b -> b.sharding(Sharding.FULL_SHARD),
                    model,
                    stored,
                    seqLen,
                    seqLen,
                    budget);
        }
        if (config.parallelism().sharding() == Sharding.NO_SHARD
                && config.parallelism().worldSize() > 1) {
            fix(
                    fixes,
                    "train.fsdp = shard_grad_op (gradients and AdamW state split over the ranks)",
                    config,
                    b -> b.sharding(Sharding.SHARD_GRAD_OP),
                    model,
                    stored,
                    seqLen,
                    seqLen,
                    budget);
        }
        if (config.batch().perDeviceRows() > 1) {
            int rows = config.batch().perDeviceRows();
            fix(
                    fixes,
                    "train.per_device_train_batch_size = 1 with gradient_accumulation_steps = "
                            + rows * config.batch().gradientAccumulation() + " (the same global batch)",
                    config,
                    b -> b.perDeviceBatchRows(1)
                            .gradientAccumulation(rows * config.batch().gradientAccumulation()),
                    model,
                    stored,
                    seqLen,
                    seqLen,
                    budget);
        }
        if (config.activations().lossChunkTokens() > 256) {
            fix(
                    fixes,
                    "train.loss_chunk_tokens = 256 (a smaller lm_head logits chunk)",
                    config,
                    b -> b.lossChunkTokens(256),
                    model,
                    stored,
                    seqLen,
                    seqLen,
                    budget);
        }
        if (seqLen > 256) {
            fix(
                    fixes,
                    "data.cutoff_len = " + seqLen / 2 + " (prep again: rows of half the tokens)",
                    config,
                    b -> b,
                    model,
                    stored,
                    seqLen,
                    seqLen / 2,
                    budget);
        }
        // more ranks only help where the state is split: full_shard splits the base too (not for freeze)
        Sharding sharded =
                config.finetuning().type() == FinetuningType.FREEZE ? Sharding.SHARD_GRAD_OP : Sharding.FULL_SHARD;
        int more = config.parallelism().worldSize() * 2;
        fix(
                fixes,
                "train.world_size = " + more + " with fsdp = " + sharded.key() + " (needs " + more + " task slots)",
                config,
                b -> b.worldSize(more).sharding(sharded),
                model,
                stored,
                seqLen,
                seqLen,
                budget);
        return fixes;
    }

    private static void fix(
            List<String> fixes,
            String change,
            TrainConfig config,
            UnaryOperator<TrainConfig.Builder> edit,
            ModelConfig model,
            DataType stored,
            int seqLen,
            int newSeqLen,
            MemoryBudget budget) {
        TrainConfig changed = edit.apply(config.toBuilder()).build();
        long total = plan(changed, model, stored, newSeqLen).total();
        long now = plan(config, model, stored, seqLen).total();
        if (total < now) {
            fixes.add(String.format(
                    Locale.ROOT,
                    "  %s: %s per rank%s",
                    change,
                    MemoryPlan.gb(total),
                    budget.fits(total) ? " — fits" : ""));
        }
    }
}
