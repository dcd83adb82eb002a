package dev.sparktune.trainer.plan;

import dev.sparktune.trainer.TrainerException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which training rows each optimizer step uses, and which of them each rank processes. The global batch is fixed in
 * rows and the visiting order is a permutation that depends only on (seed, epoch), so the rows of step s are the
 * same for any world size: only their split over ranks changes. That is what lets a run resume on a different
 * number of executors and give the same result (up to fp32 summation order).
 *
 * @param rows             training rows in the pinned table
 * @param globalBatchRows  rows per optimizer step over all ranks (the last step of an epoch may have fewer)
 * @param microBatchRows   rows per forward/backward on one rank (per_device_train_batch_size)
 * @param worldSize        ranks
 * @param stepsPerEpoch    ceil(rows / globalBatchRows)
 * @param totalSteps       optimizer steps of the whole run
 * @param seed             seed of the per-epoch permutation
 */
public record StepPlan(
        long rows, int globalBatchRows, int microBatchRows, int worldSize, int stepsPerEpoch, int totalSteps, long seed)
        implements Serializable {
    public StepPlan {
        if (rows < 1) {
            throw new IllegalArgumentException("the table has no training rows");
        }
        if (globalBatchRows < 1 || microBatchRows < 1 || worldSize < 1) {
            throw new IllegalArgumentException("global batch, micro-batch and world size must be >= 1, got "
                    + globalBatchRows + ", " + microBatchRows + ", " + worldSize);
        }
        if (stepsPerEpoch != (int) ((rows + globalBatchRows - 1) / globalBatchRows)) {
            throw new IllegalArgumentException("stepsPerEpoch must be ceil(rows / globalBatchRows)");
        }
        if (totalSteps < 1) {
            throw new IllegalArgumentException("the run needs at least one step, got " + totalSteps);
        }
    }

    /**
     * The plan for {@code epochs} passes (fractional allowed, rounded up to whole steps) or exactly {@code maxSteps}
     * steps when {@code maxSteps > 0} (transformers' max_steps overrides num_train_epochs).
     */
    public static StepPlan of(
            long rows, int globalBatchRows, int microBatchRows, int worldSize, double epochs, int maxSteps, long seed) {
        if (rows < 1) {
            throw new TrainerException("the table has no training rows");
        }
        if (globalBatchRows < 1) {
            throw new IllegalArgumentException("global batch must be >= 1 row, got " + globalBatchRows);
        }
        int perEpoch = Math.toIntExact((rows + globalBatchRows - 1) / globalBatchRows);
        int total = maxSteps > 0 ? maxSteps : (int) Math.ceil(epochs * perEpoch - 1e-9);
        if (total < 1) {
            throw new TrainerException(
                    "num_train_epochs = " + epochs + " gives no training step; set it > 0" + " or set max_steps");
        }
        return new StepPlan(rows, globalBatchRows, microBatchRows, worldSize, perEpoch, total, seed);
    }

    /** Micro-batches per rank per step (gradient accumulation steps of a full step). */
    public int accumulationSteps() {
        int perRank = (globalBatchRows + worldSize - 1) / worldSize;
        return (perRank + microBatchRows - 1) / microBatchRows;
    }

    public int epochOf(int step) {
        return step / stepsPerEpoch;
    }

    /** The visiting order of epoch {@code epoch}: a permutation of [0, rows) from (seed, epoch) only. */
    public long[] epochOrder(int epoch) {
        long[] order = new long[Math.toIntExact(rows)];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Row indices of step {@code step} over all ranks, in order ({@code order} = {@link #epochOrder} of its epoch). */
    public long[] stepRows(int step, long[] order) {
        int k = step % stepsPerEpoch;
        long from = (long) k * globalBatchRows;
        long to = Math.min(rows, from + globalBatchRows);
        return Arrays.copyOfRange(order, (int) from, (int) to);
    }

    /** Rank {@code rank}'s contiguous share of a step's rows (ranks after the rows run out get none). */
    public long[] rankRows(long[] stepRows, int rank) {
        int per = (stepRows.length + worldSize - 1) / worldSize;
        int from = Math.min(stepRows.length, rank * per);
        int to = Math.min(stepRows.length, from + per);
        return Arrays.copyOfRange(stepRows, from, to);
    }

    /** A rank's rows split into micro-batches of at most {@link #microBatchRows}. */
    public List<long[]> microBatches(long[] rankRows) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < rankRows.length; i += microBatchRows) {
            out.add(Arrays.copyOfRange(rankRows, i, Math.min(rankRows.length, i + microBatchRows)));
        }
        return out;
    }

    /** The same steps and rows with another world size (a resume on a different cluster). */
    public StepPlan withWorldSize(int ranks) {
        return new StepPlan(rows, globalBatchRows, microBatchRows, ranks, stepsPerEpoch, totalSteps, seed);
    }
}
