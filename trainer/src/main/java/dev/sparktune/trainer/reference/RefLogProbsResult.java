package dev.sparktune.trainer.reference;

/**
 * @param outputTable   the table written
 * @param version       its committed version
 * @param sourceVersion the packed table version scored
 * @param documents     documents scored (rows written)
 * @param tokens        supervised tokens scored
 * @param seconds       wall time of the job
 */
public record RefLogProbsResult(String outputTable, long version, long sourceVersion, long documents, long tokens,
                                double seconds) {
    /** Supervised tokens scored per second. */
    public double tokensPerSecond() {
        return tokens / seconds;
    }
}
