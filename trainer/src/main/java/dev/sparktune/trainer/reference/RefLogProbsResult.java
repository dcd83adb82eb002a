package dev.sparktune.trainer.reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * @param outputTable   the table written
 * @param version       its committed version
 * @param sourceVersion the packed table version scored
 * @param documents     documents scored (rows written)
 * @param tokens        supervised tokens scored
 * @param seconds       wall time of the job
 */
public record RefLogProbsResult(
        String outputTable, long version, long sourceVersion, long documents, long tokens, double seconds) {
    /** The verb's JSON summary. */
    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("output_table", outputTable);
        n.put("version", version);
        n.put("source_version", sourceVersion);
        n.put("documents", documents);
        n.put("tokens", tokens);
        n.put("seconds", seconds);
        return n;
    }

    /** Supervised tokens scored per second. */
    public double tokensPerSecond() {
        return tokens / seconds;
    }
}
