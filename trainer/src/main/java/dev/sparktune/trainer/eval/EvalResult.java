package dev.sparktune.trainer.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics of one evaluation (eval_results.json). Loss and perplexity cover every supervised token of the eval
 * split (of a table of pairs: the chosen responses'); exact_match and contains cover the generated documents (NaN
 * when none were generated). A table of pairs adds the preference metrics as training logs them, means over the
 * split's pairs; its eval_loss is then the preference loss, as in LLaMA-Factory's DPO evaluation, and the chosen
 * responses' cross-entropy is eval_chosen_loss.
 *
 * @param evalLoss   summed token cross-entropy / supervised tokens (NaN without supervised tokens)
 * @param perplexity exp(evalLoss)
 * @param pairs      preference pairs scored (0 for a table of single documents)
 * @param preference for pairs: "loss" (the mean preference loss) and each metric by name (rewards/accuracies, ...)
 */
public record EvalResult(
        String model,
        String adapter,
        String table,
        long tableVersion,
        long rows,
        long docs,
        long supervisedTokens,
        double evalLoss,
        double perplexity,
        long generated,
        double exactMatch,
        double contains,
        double evalSeconds,
        List<DocPrediction> predictions,
        long pairs,
        Map<String, Double> preference) {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public EvalResult {
        predictions = List.copyOf(predictions);
        preference = Collections.unmodifiableMap(new LinkedHashMap<>(preference));
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
        if (pairs > 0) {
            n.put("eval_pairs", pairs);
            putNumber(n, "eval_loss", preference.getOrDefault("loss", Double.NaN));
            putNumber(n, "eval_chosen_loss", evalLoss);
            preference.forEach((name, value) -> {
                if (!name.equals("loss")) {
                    putNumber(n, "eval_" + name, value);
                }
            });
        } else {
            putNumber(n, "eval_loss", evalLoss);
        }
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
