package dev.sparktune.dl4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.testkit.GoldenSpecs;
import dev.sparktune.dl4j.testkit.TensorAssertions;
import dev.sparktune.testkit.ReferencePython;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The KV-cache decoder and greedy generation against transformers (scripts/goldens/model_generate.py): the same
 * tokens, and the logits of every step within 1e-4 of a full forward of the prefix.
 */
class GeneratorGoldenTest {
    static final Path FIXTURES = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf");
    static final Path GOLDENS = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/model_generate.safetensors");
    static final List<String> FAMILIES = List.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe");

    @Test
    void greedyTokensAndStepLogitsMatchTransformers() throws IOException {
        check(GOLDENS);
    }

    /** Never skipped: fails when the reference environment cannot be created. */
    @Test
    void matchesFreshlyGeneratedGoldens(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("model_generate.safetensors");
        String stdout = ReferencePython.runScript(
                "scripts/goldens/model_generate.py",
                List.of(FIXTURES.toString(), out.toString()),
                Duration.ofMinutes(5));
        assertTrue(Files.isRegularFile(out), "script wrote no file; stdout: " + stdout);
        check(out);
    }

    private static void check(Path goldens) throws IOException {
        SafetensorsReader reader = SafetensorsReader.open(goldens);
        JsonNode cases = new ObjectMapper().readTree(reader.metadata().get("cases"));
        for (String family : FAMILIES) {
            HfModelDir.Loaded model = HfModelDir.load(FIXTURES.resolve(family));
            int[] prompt = GoldenSpecs.ints(cases.get(family).get("prompt"));
            int[] greedy = GoldenSpecs.ints(cases.get(family).get("greedy"));
            float[][] expected = reader.read(family + "/logits").toFloatMatrix();

            Generation g = new Generator(model.config(), model.layout(), model.params())
                    .generate(prompt, GenerationConfig.greedy(greedy.length, Set.of()));
            assertArrayEquals(greedy, g.tokens(), family + ": greedy tokens");
            assertEquals(Generation.StopReason.MAX_NEW_TOKENS, g.reason());

            KvCacheDecoder decoder = new KvCacheDecoder(model.config(), model.layout(), model.params(), 32);
            double worst = TensorAssertions.maxAbsDifference(expected[0], decoder.append(prompt));
            for (int step = 1; step < greedy.length; step++) {
                worst = Math.max(worst, TensorAssertions.maxAbsDifference(expected[step], decoder.append(new int[] {
                    greedy[step - 1]
                })));
            }
            System.out.printf(
                    "[GeneratorGoldenTest] %s: %d steps, max |logit diff| %.2e%n", family, greedy.length, worst);
            assertTrue(worst <= 1e-4, family + ": max |logit diff| " + worst + " > 1e-4");
        }
    }

    @Test
    void prefillInChunksEqualsOneChunk() {
        for (String family : FAMILIES) {
            HfModelDir.Loaded model = HfModelDir.load(FIXTURES.resolve(family));
            int[] tokens = {5, 17, 3, 42, 9, 11, 60, 2, 33};
            float[] whole = new KvCacheDecoder(model.config(), model.layout(), model.params(), 16).append(tokens);
            KvCacheDecoder chunked = new KvCacheDecoder(model.config(), model.layout(), model.params(), 16);
            chunked.append(Arrays.copyOfRange(tokens, 0, 4));
            chunked.append(Arrays.copyOfRange(tokens, 4, 5));
            float[] last = chunked.append(Arrays.copyOfRange(tokens, 5, tokens.length));
            assertEquals(tokens.length, chunked.length());
            assertTrue(
                    TensorAssertions.maxAbsDifference(whole, last) <= 1e-5,
                    family + ": chunked prefill differs by " + TensorAssertions.maxAbsDifference(whole, last));
        }
    }

    /** The fixtures are small enough for Java loops everywhere; forcing every product through ND4J's GEMM agrees. */
    @Test
    void javaLoopsAndGemmGiveTheSameLogits() {
        for (String family : FAMILIES) {
            HfModelDir.Loaded model = HfModelDir.load(FIXTURES.resolve(family));
            int[] tokens = {5, 17, 3, 42, 9, 11, 60, 2, 33};
            KvCacheDecoder java = new KvCacheDecoder(model.config(), model.layout(), model.params(), 16);
            KvCacheDecoder gemm = new KvCacheDecoder(model.config(), model.layout(), model.params(), 16, 1, 0);
            double worst = TensorAssertions.maxAbsDifference(java.append(tokens), gemm.append(tokens));
            worst = Math.max(
                    worst, TensorAssertions.maxAbsDifference(java.append(new int[] {7}), gemm.append(new int[] {7})));
            assertTrue(worst <= 1e-5, family + ": Java and GEMM paths differ by " + worst);
        }
    }

    @Test
    void samplingIsSeededAndTopKOneIsGreedy() {
        HfModelDir.Loaded model = HfModelDir.load(FIXTURES.resolve("qwen3"));
        Generator generator = new Generator(model.config(), model.layout(), model.params());
        int[] prompt = {1, 2, 3, 4};
        int[] greedy = generator
                .generate(prompt, GenerationConfig.greedy(10, Set.of()))
                .tokens();
        assertArrayEquals(
                greedy,
                generator
                        .generate(prompt, new GenerationConfig(10, Set.of(), 1.5, 1, 1.0, 3))
                        .tokens(),
                "top_k = 1 keeps only the argmax");
        GenerationConfig hot = new GenerationConfig(10, Set.of(), 2.0, 0, 1.0, 11);
        int[] a = generator.generate(prompt, hot).tokens();
        assertArrayEquals(a, generator.generate(prompt, hot).tokens(), "same seed, same tokens");
        assertTrue(
                Arrays.stream(new long[] {12, 13, 14, 15})
                        .anyMatch(seed -> !Arrays.equals(
                                a,
                                generator
                                        .generate(prompt, new GenerationConfig(10, Set.of(), 2.0, 0, 1.0, seed))
                                        .tokens())),
                "temperature 2 over 64 tokens: other seeds give other tokens");
    }

    @Test
    void stopsAfterAStopTokenAndKeepsIt() {
        HfModelDir.Loaded model = HfModelDir.load(FIXTURES.resolve("llama"));
        Generator generator = new Generator(model.config(), model.layout(), model.params());
        int[] prompt = {9, 8, 7};
        int[] free =
                generator.generate(prompt, GenerationConfig.greedy(6, Set.of())).tokens();
        Generation stopped = generator.generate(prompt, GenerationConfig.greedy(6, Set.of(free[2])));
        int firstStop = Arrays.stream(free).boxed().toList().indexOf(free[2]);
        assertArrayEquals(Arrays.copyOf(free, firstStop + 1), stopped.tokens());
        assertEquals(Generation.StopReason.STOP_TOKEN, stopped.reason());
        assertArrayEquals(Arrays.copyOf(free, firstStop), stopped.content());
    }

    @Test
    void promptsGeneratedTogetherGetTheTokensEachGetsAlone() {
        // eval generates per_device_eval_batch_size prompts per decoding step: batching must not change an answer
        List<int[]> prompts = List.of(
                new int[] {1, 2, 3, 4}, new int[] {9, 8, 7}, new int[] {5}, new int[] {11, 3, 17, 2, 6, 40, 33});
        for (String family : FAMILIES) {
            HfModelDir.Loaded model = HfModelDir.load(FIXTURES.resolve(family));
            Generator alone = new Generator(model.config(), model.layout(), model.params());
            int[] free = alone.generate(prompts.get(1), GenerationConfig.greedy(8, Set.of()))
                    .tokens();
            // the weights as a view 7 elements into a larger buffer (a merged model's buffer need not start at 0)
            long n = model.params().length();
            INDArray larger = Nd4j.create(DataType.FLOAT, n + 7);
            INDArray shifted = larger.get(NDArrayIndex.interval(7, 7 + n));
            shifted.assign(model.params());
            for (GenerationConfig g : List.of(
                    GenerationConfig.greedy(8, Set.of()),
                    GenerationConfig.greedy(8, Set.of(free[2])), // prompt 1 stops early, the others go on
                    new GenerationConfig(8, Set.of(), 2.0, 0, 0.9, 5))) {
                Map<String, Generator> batched = Map.of(
                        "one prefill",
                        new Generator(model.config(), model.layout(), model.params()),
                        "prefills of at most 5 tokens: [4] [3 1] [7]",
                        new Generator(model.config(), model.layout(), model.params(), 5),
                        "weights at an offset",
                        new Generator(model.config(), model.layout(), shifted));
                batched.forEach((what, generator) -> {
                    List<Generation> together = generator.generate(prompts, g);
                    for (int i = 0; i < prompts.size(); i++) {
                        Generation one = alone.generate(prompts.get(i), g);
                        assertArrayEquals(
                                one.tokens(),
                                together.get(i).tokens(),
                                family + ", " + what + ", prompt " + i + " " + g);
                        assertEquals(one.reason(), together.get(i).reason(), family + " prompt " + i);
                    }
                });
            }
        }
    }

    @Test
    void severalSlotsTogetherEqualEachSlotAloneOnTheGemmPathToo() {
        HfModelDir.Loaded model = HfModelDir.load(FIXTURES.resolve("qwen2"));
        int[][] prompts = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9, 10}};
        int[] next = {12, 13, 14};
        for (long gemmMin : new long[] {KvCacheDecoder.GEMM_MIN_PRODUCT, 0}) {
            KvCacheDecoder batched = new KvCacheDecoder(model.config(), model.layout(), model.params(), 16, 3, gemmMin);
            // every prompt in one forward (the slots in another order than the prompts), then one step of all slots
            float[][] prefill = batched.appendAll(new int[] {1, 2, 0}, List.of(prompts[1], prompts[2], prompts[0]));
            float[][] step = batched.appendEach(new int[] {2, 0, 1}, new int[] {next[2], next[0], next[1]});
            for (int b = 0; b < 3; b++) {
                KvCacheDecoder single =
                        new KvCacheDecoder(model.config(), model.layout(), model.params(), 16, 1, gemmMin);
                float[] afterPrompt = single.append(prompts[b]);
                float[] expected = single.append(new int[] {next[b]});
                assertTrue(
                        TensorAssertions.maxAbsDifference(afterPrompt, prefill[(b + 2) % 3]) < 1e-5,
                        "prefill of slot " + b + ", gemm threshold " + gemmMin);
                int row = b == 2 ? 0 : b + 1;
                assertTrue(
                        TensorAssertions.maxAbsDifference(expected, step[row]) < 1e-5,
                        "slot " + b + ", gemm threshold " + gemmMin);
            }
        }
    }
}
