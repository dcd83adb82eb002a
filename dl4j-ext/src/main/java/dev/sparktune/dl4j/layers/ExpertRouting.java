package dev.sparktune.dl4j.layers;

/**
 * Qwen3-MoE's router rule (transformers' Qwen3MoeTopKRouter), shared by the training layer ({@link RoutedExperts})
 * and the KV-cache decoder: per token, the softmax of its E router logits (fp32), the k largest probabilities (ties
 * to the lower expert index), and those k renormalised to sum 1 when norm_topk_prob is set. The choice itself is not
 * differentiated; the chosen weights are, through the softmax ({@link #backward}).
 *
 * @param rows    N tokens
 * @param experts E
 * @param topK    k
 * @param norm    norm_topk_prob
 * @param probs   [N·E] the softmax of each token's router logits
 * @param chosen  [N·k] token n's j-th expert at n·k + j, by falling probability
 * @param weights [N·k] its weight on that expert's output
 */
public record ExpertRouting(
        int rows, int experts, int topK, boolean norm, float[] probs, int[] chosen, float[] weights) {
    /** Routes N tokens from their router logits [N·E] (row-major). */
    public static ExpertRouting route(float[] logits, int rows, int experts, int topK, boolean norm) {
        float[] probs = new float[rows * experts];
        int[] chosen = new int[rows * topK];
        float[] weights = new float[rows * topK];
        for (int n = 0; n < rows; n++) {
            int base = n * experts;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < experts; e++) {
                max = Math.max(max, logits[base + e]);
            }
            float sum = 0f;
            for (int e = 0; e < experts; e++) {
                probs[base + e] = (float) Math.exp(logits[base + e] - max);
                sum += probs[base + e];
            }
            for (int e = 0; e < experts; e++) {
                probs[base + e] /= sum;
            }
            float picked = 0f;
            for (int j = 0; j < topK; j++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (!taken(chosen, n * topK, j, e) && (best < 0 || probs[base + e] > probs[base + best])) {
                        best = e;
                    }
                }
                chosen[n * topK + j] = best;
                weights[n * topK + j] = probs[base + best];
                picked += probs[base + best];
            }
            if (norm) {
                for (int j = 0; j < topK; j++) {
                    weights[n * topK + j] /= picked;
                }
            }
        }
        return new ExpertRouting(rows, experts, topK, norm, probs, chosen, weights);
    }

    private static boolean taken(int[] chosen, int from, int count, int expert) {
        for (int j = 0; j < count; j++) {
            if (chosen[from + j] == expert) {
                return true;
            }
        }
        return false;
    }

    /**
     * dLogits [N·E] from dWeights [N·k] (the loss's gradient on each chosen weight). With norm, the chosen weights are
     * the softmax of the chosen logits alone (w_j = exp(z_j) / Σ_S exp(z_i)), so dz_j = w_j·(dw_j − Σ_S dw_i·w_i) on
     * the chosen set S and exactly 0 elsewhere (through the full softmax that 0 would be a cancellation, left as
     * rounding noise that Adam turns into lr-sized steps). Without norm, w_j = p_j: dz = p ⊙ (dp − Σ_e dp_e·p_e), dp
     * = dw on S and 0 elsewhere.
     */
    public float[] backward(float[] dWeights) {
        float[] dLogits = new float[rows * experts];
        for (int n = 0; n < rows; n++) {
            int at = n * topK;
            int base = n * experts;
            double dot = 0; // Σ_S dw_j·w_j (norm), Σ_S dp_j·p_j = Σ_S dw_j·p_j (without)
            for (int j = 0; j < topK; j++) {
                dot += (double) dWeights[at + j] * weights[at + j];
            }
            if (norm) {
                for (int j = 0; j < topK; j++) {
                    dLogits[base + chosen[at + j]] = (float) (weights[at + j] * (dWeights[at + j] - dot));
                }
            } else {
                for (int e = 0; e < experts; e++) {
                    dLogits[base + e] = (float) (-probs[base + e] * dot);
                }
                for (int j = 0; j < topK; j++) {
                    dLogits[base + chosen[at + j]] += (float) (probs[base + chosen[at + j]] * dWeights[at + j]);
                }
            }
        }
        return dLogits;
    }
}
