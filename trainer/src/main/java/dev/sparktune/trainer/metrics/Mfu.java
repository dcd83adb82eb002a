package dev.sparktune.trainer.metrics;

import java.io.Serializable;

/**
 * Model FLOPs utilisation of the logged steps: achieved model FLOP/s per rank over the per-rank peak.
 *
 * @param flopsPerToken    model FLOPs per token of a training step ({@code TrainingFlops.perToken})
 * @param peakFlopsPerRank the FLOP/s one rank could do (measured fp32 GEMM rate, or train.peak_flops_per_rank)
 * @param ranks            world size (tokens per second are counted over all ranks)
 */
public record Mfu(double flopsPerToken, double peakFlopsPerRank, int ranks) implements Serializable {
    public Mfu {
        if (!(flopsPerToken > 0) || !(peakFlopsPerRank > 0) || ranks < 1) {
            throw new IllegalArgumentException("MFU needs positive FLOPs per token, peak and ranks, got "
                    + flopsPerToken + ", " + peakFlopsPerRank + ", " + ranks);
        }
    }

    /** The utilisation at {@code tokensPerSecond} over all ranks, in [0, 1] when the peak is right. */
    public double of(double tokensPerSecond) {
        return tokensPerSecond * flopsPerToken / (peakFlopsPerRank * ranks);
    }

    /**
     * The useful utilisation: the FLOPs the rows needed per second (each document attending only its own keys, no
     * padding; {@code TrainingFlops.perRow}) over all ranks' peak.
     */
    public double useful(double usefulFlopsPerSecond) {
        return usefulFlopsPerSecond / (peakFlopsPerRank * ranks);
    }
}
