package dev.sparktune.trainer.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The metrics of one evaluation (eval_results.json). Loss and perplexity cover every supervised token of the eval
 * split; exact_match and contains cover the generated documents (NaN when none were generated).
 *
 * @param evalLoss   summed token cross-entropy / supervised tokens (NaN without supervised tokens)
 * @param perplexity exp(evalLoss)
 */
public record EvalResult(String model, String adapter, String table, long tableVersion, long rows, long docs,
                         long supervisedTokens, double evalLoss, double perplexity, long generated,
                         double exactMatch, double contains, double evalSeconds, List<DocPrediction> predictions) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public EvalResult {
        predictions = List.copyOf(predictions);
    }

    public ObjectNode toJson() {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("model", model);
        n.put("adapter", adapter);
        n.put("table", table);
        n.put("table_version", tableVersion);
        n.put("eval_rows", rows);
        n.put("eval_docs", docs);
        n.put("eval_supervised_tokens", supervisedTokens);
        putNumber(n, "eval_loss", evalLoss);
        putNumber(n, "perplexity", perplexity);
        n.put("generated", generated);
        putNumber(n, "exact_match", exactMatch);
        putNumber(n, "contains", contains);
        n.put("eval_seconds", Math.round(evalSeconds * 10) / 10.0);
        return n;
    }

    /** JSON has no NaN: an unmeasured metric is null. */
    private static void putNumber(ObjectNode n, String key, double value) {
        if (Double.isFinite(value)) {
            n.put(key, value);
        } else {
            n.putNull(key);
        }
    }
}
