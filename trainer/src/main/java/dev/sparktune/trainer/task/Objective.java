package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.CausalLm;
import java.util.List;

/**
 * What a step minimises, as {@link RankTrainer} drives it: the step's loss is a mean over the units of ALL ranks'
 * micro-batches (supervised tokens for SFT, pairs for preference training), so world size, micro-batching and
 * packing do not change it. Per micro-batch the objective counts its units, then runs forward and backward with the
 * global count as divisor.
 */
interface Objective {
    /** This micro-batch's units; their sum over the step's micro-batches and ranks divides the loss. */
    long units(MicroBatch batch);

    /**
     * Forward and backward of one micro-batch, every gradient ADDED into the model's buffer; returns the micro-batch's
     * part of the step's loss (its units' losses summed, over {@code globalUnits}) and adds each metric's sum over
     * the units into {@code metricSums} (in {@link #metricNames} order; the step divides them by the global count).
     */
    double forwardBackward(CausalLm model, MicroBatch batch, double globalUnits, double[] metricSums);

    /** The names of the metrics it reports beside the loss (none for SFT). */
    List<String> metricNames();

    /** Causal LM cross-entropy, averaged over the step's supervised tokens (SFT and pre-training). */
    Objective NEXT_TOKEN = new Objective() {
        @Override
        public long units(MicroBatch batch) {
            return CausalLm.supervisedCount(batch.targets());
        }

        @Override
        public double forwardBackward(CausalLm model, MicroBatch batch, double globalUnits, double[] metricSums) {
            return model.forwardBackward(batch.inputIds(), batch.targets(), batch.packed(), globalUnits);
        }

        @Override
        public List<String> metricNames() {
            return List.of();
        }
    };
}
