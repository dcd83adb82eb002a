package dev.sparktune.bench;

import dev.sparktune.dl4j.generate.Generation;
import dev.sparktune.dl4j.generate.GenerationConfig;
import dev.sparktune.dl4j.generate.Generator;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Greedy generation throughput of a random Qwen3: PROMPTS prompts of PROMPT_LEN tokens, NEW tokens each (no stop
 * token), one prompt at a time and then BATCH prompts per decoding step, as eval runs them
 * (eval.per_device_eval_batch_size). Prints generated tokens per second for each.
 *
 * <p>Usage: {@code GenerationBenchmark HIDDEN LAYERS HEADS KV_HEADS INTERMEDIATE VOCAB PROMPTS PROMPT_LEN NEW BATCH}
 */
public final class GenerationBenchmark {
    private GenerationBenchmark() {}

    public static void main(String[] args) {
        ModelConfig model = Qwen3ShapeArgs.parse(args, 0);
        int prompts = Integer.parseInt(args[6]);
        int promptLen = Integer.parseInt(args[7]);
        int newTokens = Integer.parseInt(args[8]);
        int batch = Integer.parseInt(args[9]);
        HfModelDir.Loaded weights = ModelInit.random(model, 1, 0.02);
        SplittableRandom random = new SplittableRandom(7);
        List<int[]> all = new ArrayList<>();
        for (int p = 0; p < prompts; p++) {
            all.add(random.ints(promptLen, 0, model.vocabSize()).toArray());
        }
        GenerationConfig greedy = GenerationConfig.greedy(newTokens, Set.of());
        Generator generator = new Generator(model, weights.layout(), weights.params());
        generator.generate(all.subList(0, Math.min(batch, prompts)), greedy); // warm-up: JIT, cache allocation
        long t0 = System.nanoTime();
        List<int[]> oneByOne = new ArrayList<>();
        for (int[] prompt : all) {
            oneByOne.add(generator.generate(prompt, greedy).tokens());
        }
        double single = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        List<int[]> batched = new ArrayList<>();
        for (int from = 0; from < prompts; from += batch) {
            for (Generation g : generator.generate(all.subList(from, Math.min(prompts, from + batch)), greedy)) {
                batched.add(g.tokens());
            }
        }
        double together = (System.nanoTime() - t0) / 1e9;
        int same = 0;
        for (int p = 0; p < prompts; p++) {
            same += Arrays.equals(oneByOne.get(p), batched.get(p)) ? 1 : 0;
        }
        double tokens = (double) prompts * newTokens;
        System.out.printf(
                Locale.ROOT,
                "SparkTune greedy generation, Qwen3 hidden %s x %s layers, vocabulary %d, %d prompts"
                        + " of %d tokens, %d new tokens each%n",
                args[0],
                args[1],
                model.vocabSize(),
                prompts,
                promptLen,
                newTokens);
        System.out.printf(Locale.ROOT, "| one prompt at a time | %.2f s | %.1f tokens/s |%n", single, tokens / single);
        System.out.printf(
                Locale.ROOT,
                "| %d prompts per step | %.2f s | %.1f tokens/s | %.1fx | same tokens: %d of %d |%n",
                batch,
                together,
                tokens / together,
                single / together,
                same,
                prompts);
    }
}
