package dev.sparktune.dl4j.generate;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Greedy or sampled continuation of prompts with a {@link KvCacheDecoder}: the prompt is fed in one chunk, then each
 * chosen token is appended until a stop token or {@code max_new_tokens}. One generator per thread; its cache is
 * reused across prompts and grown when a prompt needs more room.
 */
public final class Generator {
    private final ModelConfig config;
    private final ParamLayout layout;
    private final INDArray params;
    private KvCacheDecoder decoder;

    public Generator(ModelConfig config, ParamLayout layout, INDArray params) {
        this.config = config;
        this.layout = layout;
        this.params = params;
    }

    public Generation generate(int[] prompt, GenerationConfig generation) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        int needed = prompt.length + generation.maxNewTokens();
        if (decoder == null || decoder.capacity() < needed) {
            decoder = new KvCacheDecoder(config, layout, params, Math.max(needed, 64));
        }
        decoder.reset();
        SplittableRandom random = new SplittableRandom(generation.seed());
        int[] out = new int[generation.maxNewTokens()];
        float[] logits = decoder.append(prompt);
        for (int i = 0; i < out.length; i++) {
            int next = generation.isGreedy() ? argmax(logits) : sample(logits, generation, random);
            out[i] = next;
            if (generation.stopTokenIds().contains(next)) {
                return new Generation(Arrays.copyOf(out, i + 1), Generation.StopReason.STOP_TOKEN);
            }
            if (i + 1 < out.length) {
                logits = decoder.append(new int[] {next});
            }
        }
        return new Generation(out, Generation.StopReason.MAX_NEW_TOKENS);
    }

    /** The first index of the largest logit (torch.argmax's tie rule). */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Temperature, then top-k, then top-p (nucleus), then one draw: transformers' warper order. */
    static int sample(float[] logits, GenerationConfig g, SplittableRandom random) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = g.topK() > 0 ? Math.min(g.topK(), order.length) : order.length;
        double max = logits[order[0]] / g.temperature();
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[order[i]] / g.temperature() - max);
            sum += p[i];
        }
        if (g.topP() < 1.0) {
            double cumulative = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                cumulative += p[i] / sum;
                if (cumulative >= g.topP()) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += p[i];
            }
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < keep; i++) {
            u -= p[i];
            if (u < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
