package dev.sparktune.preprocess.stats;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/**
 * The prep report, printed at the end of a run and written as JSON beside the table. Counts reconcile:
 * {@code inputRecords = acceptedDocuments + rejectedRecords}, per dataset too.
 *
 * @param inputRecords        records read (blank jsonl lines are not records)
 * @param acceptedDocuments   records that became documents
 * @param rejectedRecords     records in the rejects table
 * @param rejectsByReason     reject count per reason code
 * @param datasets            per dataset: input / accepted / rejected
 * @param tokens              tokens over all documents (after truncation)
 * @param supervisedTokens    tokens with a label
 * @param truncatedDocuments  documents cut at cutoff_len
 * @param trainDocuments      documents in the train split (eval = accepted - train)
 * @param evalDocuments       documents in the eval split
 * @param rows                table rows, per split
 * @param lowerBoundRows      ceil(tokens / cutoff_len) per split and dataset, summed: no packing can do better
 * @param packingEfficiency   non-pad tokens / (rows × cutoff_len)
 * @param documentLengths     document length histogram: bucket upper bound (tokens) → documents
 */
@JsonPropertyOrder(alphabetic = false)
public record PrepStats(
        long inputRecords,
        long acceptedDocuments,
        long rejectedRecords,
        Map<String, Long> rejectsByReason,
        Map<String, DatasetCounts> datasets,
        long tokens,
        long supervisedTokens,
        long truncatedDocuments,
        long trainDocuments,
        long evalDocuments,
        Map<String, Long> rows,
        long lowerBoundRows,
        double packingEfficiency,
        Map<String, Long> documentLengths) {

    /** Input / accepted / rejected records of one dataset. */
    public record DatasetCounts(long input, long accepted, long rejected) {}

    public long totalRows() {
        return rows.values().stream().mapToLong(Long::longValue).sum();
    }
}
