package dev.sparktune.trainer.reference;

/**
 * Each document's summed log-prob of its supervised tokens under the reference model, by doc_id: read from the
 * reference pass's table ({@link RefLogProbs.Lookup}) or computed in the step with the LoRA adapters off.
 */
public interface ReferenceLogProbs {
    /**
     * Document {@code docId}'s summed reference log-prob, checked to cover the {@code tokens} response tokens the
     * packed row supervises.
     *
     * @throws RefLogProbsException the reference table lacks the document or scored it on other tokens (a
     *     computed reference cannot: for it that is a bug, an IllegalStateException)
     */
    double logp(long docId, int tokens);
}
