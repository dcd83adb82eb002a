package dev.sparktune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What one side (ours or PEFT) measured for a case; NaN where that side has no such figure (PEFT plans nothing and
 * reports no held bytes or MFU of its own). Bytes are bytes; the table prints GB of 1e9.
 *
 * @param loadSeconds         ours: rank 0 joined the ring and loaded the checkpoint; PEFT: from_pretrained
 * @param peakRssBytes        the process's peak resident set (ours: every rank, one JVM)
 * @param plannedBytesPerRank the memory plan's total per rank (held bytes plus the ring's buffers)
 * @param heldBytesPerRank    rank 0's params + grads + optimizer state + activations as it reported them
 * @param tokensPerSecond     median over the measured steps, all ranks together
 * @param mfu                 median over the measured steps (model FLOPs at the row length over every core's peak)
 */
record Measurement(
        double loadSeconds,
        double peakRssBytes,
        double plannedBytesPerRank,
        double heldBytesPerRank,
        double tokensPerSecond,
        double mfu) {

    /**
     * A reference script's JSON line (peft_scale_reference.py, trl_dpo_reference.py): load_s, peak_rss_gb in GiB
     * (ru_maxrss / 2^20) and tokens_per_s.
     */
    static Measurement ofReference(JsonNode line) {
        return new Measurement(
                line.get("load_s").asDouble(),
                line.get("peak_rss_gb").asDouble() * (1L << 30),
                Double.NaN,
                Double.NaN,
                line.get("tokens_per_s").asDouble(),
                Double.NaN);
    }

    /**
     * PEFT with an MFU on our normaliser: the same model FLOPs per token over the same cores' peak, so its MFU is
     * ours scaled by the ratio of the token rates.
     */
    Measurement withMfuRelativeTo(Measurement ours) {
        return new Measurement(
                loadSeconds,
                peakRssBytes,
                plannedBytesPerRank,
                heldBytesPerRank,
                tokensPerSecond,
                ours.mfu * tokensPerSecond / ours.tokensPerSecond);
    }

    /** The load-time (s) and peak-RSS (GB) cells that start a side's row in every bench table, joined by a pipe. */
    String loadAndPeakRssCells() {
        return TableCells.figure("%.1f", loadSeconds) + " | " + TableCells.figure("%.2f", peakRssBytes / 1e9);
    }

    /** The figures as JSON, leaving out those this side does not have. */
    void writeTo(ObjectNode node) {
        put(node, "load_s", loadSeconds);
        put(node, "peak_rss_bytes", peakRssBytes);
        put(node, "planned_bytes_per_rank", plannedBytesPerRank);
        put(node, "held_bytes_per_rank", heldBytesPerRank);
        put(node, "tokens_per_s", tokensPerSecond);
        put(node, "mfu", mfu);
    }

    private static void put(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        }
    }
}
