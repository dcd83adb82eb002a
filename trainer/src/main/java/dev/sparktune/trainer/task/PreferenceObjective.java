package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.AdapterSwitch;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.preference.PreferenceLoss;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.preference.PairScoring;
import dev.sparktune.trainer.reference.RefLogProbs;
import java.util.List;

/**
 * Preference training (LLaMA-Factory's stage dpo) on a table of pairs: one forward gives every token's log-prob,
 * {@link PairScoring} scores each pair (a chosen document and its rejected one, adjacent in one row) against the
 * reference, and one backward takes every pair's dLoss/d(summed log-prob) to its response tokens. A pair never spans
 * rows, so a micro-batch's pairs are whole and the step's loss is the mean over the global batch of pairs, whatever
 * the world size, packing or accumulation. The reference's log-probs are read from the reference pass's table, or
 * computed per micro-batch by a forward with the LoRA adapters off ({@link AdaptersOffReference}) just before the
 * policy's forward, which must come last: its activations are the ones the backward reads.
 */
final class PreferenceObjective implements Objective {
    private final PairScoring scoring;
    private final AdaptersOffReference adaptersOff; // null: the reference is read from its table, or not needed
    private double[] logps = new double[0];

    /** @param reference the reference pass's log-probs; null for the reference-free losses (orpo, simpo) */
    PreferenceObjective(PreferenceLoss loss, RefLogProbs.Lookup reference) {
        this.scoring = new PairScoring(loss, reference);
        this.adaptersOff = null;
    }

    /** Against the training model itself with its LoRA adapters off ({@code adapters} turns them off). */
    PreferenceObjective(PreferenceLoss loss, AdapterSwitch adapters) {
        this.adaptersOff = new AdaptersOffReference(adapters);
        this.scoring = new PairScoring(loss, adaptersOff);
    }

    @Override
    public long units(MicroBatch batch) {
        long pairs = 0;
        for (TrainRow row : batch.rows()) {
            if (!row.holdsPairs()) {
                throw new IllegalStateException("preference training got a row without doc_roles");
            }
            pairs += row.docRoles().length / 2;
        }
        return pairs;
    }

    @Override
    public double forwardBackward(CausalLm model, MicroBatch batch, double globalUnits, double[] metricSums) {
        if (adaptersOff != null) {
            adaptersOff.score(model, batch);
        }
        int[] targets = batch.targets();
        if (logps.length != targets.length) {
            logps = new double[targets.length];
        }
        model.tokenLogProbs(batch.inputIds(), targets, batch.packed(), logps);
        double[] dLogProb = new double[targets.length];
        double lossSum = 0;
        for (int b = 0; b < batch.rows().length; b++) {
            TrainRow row = batch.rows()[b];
            lossSum += scoring.scoreRow(
                    logps,
                    targets,
                    b * batch.seqLen(),
                    row.docLens(),
                    row.docIds(),
                    metricSums,
                    dLogProb,
                    1 / globalUnits,
                    "row " + batch.rowIds()[b]);
        }
        model.backwardTokenLogProbs(dLogProb);
        return lossSum / globalUnits;
    }

    @Override
    public List<String> metricNames() {
        return scoring.metricNames();
    }
}
