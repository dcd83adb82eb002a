package dev.sparktune.preprocess.stats;

import dev.sparktune.preprocess.encode.EncodeOutcome;
import dev.sparktune.preprocess.encode.EncodedDocument;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Mergeable counts over encode outcomes, aggregated in one pass over the (cached) outcomes with
 * {@code treeAggregate}; unlike accumulators it is exact under task retries.
 */
public final class OutcomeTally implements Serializable {
    final Map<String, long[]> perDataset = new TreeMap<>(); // dataset -> {input, accepted, rejected}
    final Map<String, Long> rejectsByReason = new TreeMap<>();
    final Map<Integer, Long> lengthBuckets = new TreeMap<>(); // bucket upper bound -> documents
    long tokens;
    long supervisedTokens;
    long truncated;

    public OutcomeTally add(EncodeOutcome outcome) {
        if (outcome instanceof EncodeOutcome.Accepted accepted) {
            EncodedDocument doc = accepted.document();
            counts(doc.dataset())[1]++;
            tokens += doc.inputIds().length;
            supervisedTokens += doc.supervisedTokens();
            truncated += doc.truncated() ? 1 : 0;
            lengthBuckets.merge(bucket(doc.inputIds().length), 1L, Long::sum);
            counts(doc.dataset())[0]++;
        } else {
            var reject = ((EncodeOutcome.Rejected) outcome).reject();
            counts(reject.dataset())[2]++;
            counts(reject.dataset())[0]++;
            rejectsByReason.merge(reject.reason().name(), 1L, Long::sum);
        }
        return this;
    }

    public OutcomeTally merge(OutcomeTally other) {
        other.perDataset.forEach((name, c) -> {
            long[] mine = counts(name);
            for (int i = 0; i < 3; i++) {
                mine[i] += c[i];
            }
        });
        other.rejectsByReason.forEach((k, v) -> rejectsByReason.merge(k, v, Long::sum));
        other.lengthBuckets.forEach((k, v) -> lengthBuckets.merge(k, v, Long::sum));
        tokens += other.tokens;
        supervisedTokens += other.supervisedTokens;
        truncated += other.truncated;
        return this;
    }

    private long[] counts(String dataset) {
        return perDataset.computeIfAbsent(dataset, k -> new long[3]);
    }

    /** Power-of-two buckets: the smallest 2^k ≥ length (documents of 1..16 tokens share the first bucket). */
    static int bucket(int length) {
        int bound = 16;
        while (bound < length) {
            bound <<= 1;
        }
        return bound;
    }

    /** Reject counts per reason code. */
    public Map<String, Long> rejectsByReason() {
        return Collections.unmodifiableMap(rejectsByReason);
    }

    public long inputRecords() {
        return perDataset.values().stream().mapToLong(c -> c[0]).sum();
    }

    public long accepted() {
        return perDataset.values().stream().mapToLong(c -> c[1]).sum();
    }

    public long rejected() {
        return perDataset.values().stream().mapToLong(c -> c[2]).sum();
    }

    /** The final report, given what packing produced. */
    public PrepStats toStats(
            long trainDocuments, Map<String, Long> rows, long lowerBoundRows, long packedTokens, int cutoffLen) {
        Map<String, PrepStats.DatasetCounts> datasets = new TreeMap<>();
        perDataset.forEach((name, c) -> datasets.put(name, new PrepStats.DatasetCounts(c[0], c[1], c[2])));
        Map<String, Long> lengths = new LinkedHashMap<>(); // ascending bucket order
        lengthBuckets.forEach((bound, n) -> lengths.put("<=" + bound, n));
        long totalRows = rows.values().stream().mapToLong(Long::longValue).sum();
        double efficiency = totalRows == 0 ? 0.0 : (double) packedTokens / ((double) totalRows * cutoffLen);
        return new PrepStats(
                inputRecords(),
                accepted(),
                rejected(),
                new TreeMap<>(rejectsByReason),
                datasets,
                tokens,
                supervisedTokens,
                truncated,
                trainDocuments,
                accepted() - trainDocuments,
                rows,
                lowerBoundRows,
                efficiency,
                lengths);
    }
}
