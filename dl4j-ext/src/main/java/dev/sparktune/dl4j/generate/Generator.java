package dev.sparktune.dl4j.generate;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Greedy or sampled continuation of prompts with a {@link KvCacheDecoder}: the prompts are fed in one forward (up to
 * {@link #PREFILL_ROWS} tokens), then each chosen token is appended until a stop token or {@code max_new_tokens}.
 * Several prompts generate together, one decoder slot each: every decoding step runs the unfinished ones as one
 * batch, and a prompt's tokens are the same
 * as when it generates alone (its own sampling stream from the seed; rows of a product do not mix). One generator per
 * thread; its cache is reused across calls and grown when a call needs more room.
 */
public final class Generator {
    /** Prompt tokens fed in one forward at most (unless one prompt is longer): bounds the working arrays. */
    static final int PREFILL_ROWS = 2048;

    private final ModelConfig config;
    private final ParamLayout layout;
    private final INDArray params;
    private final int prefillRows;
    private KvCacheDecoder decoder;

    public Generator(ModelConfig config, ParamLayout layout, INDArray params) {
        this(config, layout, params, PREFILL_ROWS);
    }

    /** With another prefill bound, so that tests can split small batches. */
    Generator(ModelConfig config, ParamLayout layout, INDArray params, int prefillRows) {
        this.config = config;
        this.layout = layout;
        this.params = params;
        this.prefillRows = prefillRows;
    }

    public Generation generate(int[] prompt, GenerationConfig generation) {
        return generate(List.of(prompt), generation).get(0);
    }

    /** The continuation of each prompt, in order. */
    public List<Generation> generate(List<int[]> prompts, GenerationConfig generation) {
        int batch = prompts.size();
        if (batch == 0) {
            return List.of();
        }
        int needed = 0;
        for (int[] prompt : prompts) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("a prompt is empty");
            }
            needed = Math.max(needed, prompt.length + generation.maxNewTokens());
        }
        if (decoder == null || decoder.capacity() < needed || decoder.slots() < batch) {
            decoder = new KvCacheDecoder(
                    config,
                    layout,
                    params,
                    Math.max(needed, 64),
                    Math.max(batch, decoder == null ? 1 : decoder.slots()));
        }
        decoder.reset();
        int maxNew = generation.maxNewTokens();
        SplittableRandom[] random = new SplittableRandom[batch];
        int[][] out = new int[batch][maxNew];
        Generation[] done = new Generation[batch];
        float[][] logits = prefill(prompts);
        for (int b = 0; b < batch; b++) {
            random[b] = new SplittableRandom(generation.seed());
        }
        for (int i = 0; i < maxNew; i++) {
            int[] slots = new int[batch];
            int[] tokens = new int[batch];
            int open = 0;
            for (int b = 0; b < batch; b++) {
                if (done[b] != null) {
                    continue;
                }
                int next = generation.isGreedy() ? argmax(logits[b]) : sample(logits[b], generation, random[b]);
                out[b][i] = next;
                if (generation.stopTokenIds().contains(next)) {
                    done[b] = new Generation(Arrays.copyOf(out[b], i + 1), Generation.StopReason.STOP_TOKEN);
                } else if (i + 1 == maxNew) {
                    done[b] = new Generation(out[b], Generation.StopReason.MAX_NEW_TOKENS);
                } else {
                    slots[open] = b;
                    tokens[open++] = next;
                }
            }
            if (open == 0) {
                break;
            }
            float[][] step = decoder.appendEach(Arrays.copyOf(slots, open), Arrays.copyOf(tokens, open));
            for (int r = 0; r < open; r++) {
                logits[slots[r]] = step[r];
            }
        }
        return List.of(done);
    }

    /**
     * Feeds each prompt into its slot (slot b = prompt b), consecutive prompts together while their tokens stay within
     * the prefill bound (one product per projection for the group). Returns the logits that follow each prompt.
     */
    private float[][] prefill(List<int[]> prompts) {
        float[][] logits = new float[prompts.size()][];
        int first = 0;
        while (first < prompts.size()) {
            int end = first + 1;
            int rows = prompts.get(first).length;
            while (end < prompts.size() && rows + prompts.get(end).length <= prefillRows) {
                rows += prompts.get(end++).length;
            }
            int[] slots = new int[end - first];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = first + i;
            }
            float[][] group = decoder.appendAll(slots, prompts.subList(first, end));
            System.arraycopy(group, 0, logits, first, group.length);
            first = end;
        }
        return logits;
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
