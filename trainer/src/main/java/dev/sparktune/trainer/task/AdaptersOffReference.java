package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.AdapterSwitch;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.reference.DocumentLogProbs;
import dev.sparktune.trainer.reference.ReferenceLogProbs;
import java.util.Objects;

/**
 * The reference of preference training computed in the step (train.ref_logprobs = adapters_off): LLaMA-Factory's DPO
 * under LoRA without a ref_model, whose reference log-probs come from the policy model under PEFT's
 * {@code disable_adapter()}. Per micro-batch, one forward of the training model with its LoRA adapters off, i.e. the
 * base model, gives each document's summed supervised log-prob and token count, summed as the reference pass sums
 * them ({@link DocumentLogProbs}). No gradient flows and nothing is kept: the forward runs in the model's own
 * buffers, which the policy's forward then overwrites, so the reference costs one forward per micro-batch, no second
 * model and no reference pass.
 */
final class AdaptersOffReference implements ReferenceLogProbs {
    private final AdapterSwitch adapters;
    private double[] tokenLogps = new double[0];
    private long[] docIds = new long[0];
    private double[] sums = new double[0];
    private int[] counts = new int[0];
    private int docs;

    AdaptersOffReference(AdapterSwitch adapters) {
        this.adapters = Objects.requireNonNull(
                adapters,
                "ref_logprobs = adapters_off needs LoRA adapters (TrainConfig requires finetuning_type lora)");
    }

    /**
     * Scores {@code batch}'s documents with the adapters off; {@link #logp} then answers for them. Collective where
     * the model's forward is (full_shard gathers each layer): every rank calls it as often as the others.
     */
    void score(CausalLm model, MicroBatch batch) {
        int[] targets = batch.targets();
        if (tokenLogps.length != targets.length) {
            tokenLogps = new double[targets.length];
        }
        try (AdapterSwitch.Off off = adapters.turnOff()) {
            model.scoreTokenLogProbs(batch.inputIds(), targets, batch.packed(), tokenLogps);
        }
        docs = 0;
        for (TrainRow row : batch.rows()) {
            docs += row.docLens().length;
        }
        if (docIds.length < docs) {
            docIds = new long[docs];
            sums = new double[docs];
            counts = new int[docs];
        }
        int at = 0;
        for (int b = 0; b < batch.rows().length; b++) {
            TrainRow row = batch.rows()[b];
            DocumentLogProbs.sum(tokenLogps, targets, b * batch.seqLen(), row.docLens(), sums, counts, at);
            System.arraycopy(row.docIds(), 0, docIds, at, row.docIds().length);
            at += row.docLens().length;
        }
    }

    /** A document of the micro-batch last {@link #score scored} (a few per micro-batch: searched in order). */
    @Override
    public double logp(long docId, int tokens) {
        for (int d = 0; d < docs; d++) {
            if (docIds[d] == docId) {
                if (counts[d] != tokens) {
                    throw new IllegalStateException("document " + docId + ": the adapters-off forward counted "
                            + counts[d] + " supervised tokens, the policy's " + tokens);
                }
                return sums[d];
            }
        }
        throw new IllegalStateException(
                "document " + docId + " is not in the micro-batch the adapters-off forward scored");
    }
}
