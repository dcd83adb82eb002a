package dev.sparktune.trainer.reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * @param outputTable   the table written
 * @param version       its committed version
 * @param sourceVersion the packed table version scored
 * @param documents     documents scored (rows written)
 * @param tokens        supervised tokens scored
 * @param seconds       wall time of the job
 * @param batchRows     packed rows per forward
 * @param activationBytesPerTask the activation and working buffers each task's forward-only model holds beside its
 *                      weights ({@link dev.sparktune.dl4j.layers.ActivationPlan#forwardOnly})
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RefLogProbsResult(
        String outputTable,
        long version,
        long sourceVersion,
        long documents,
        long tokens,
        double seconds,
        int batchRows,
        long activationBytesPerTask) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The verb's JSON summary: the components in order, snake_case. */
    public ObjectNode toJson() {
        return MAPPER.valueToTree(this);
    }

    /** Supervised tokens scored per second. */
    public double tokensPerSecond() {
        return tokens / seconds;
    }
}
