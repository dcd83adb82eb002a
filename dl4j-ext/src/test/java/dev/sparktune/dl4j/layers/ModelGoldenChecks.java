package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparktune.dl4j.generate.KvCacheDecoder;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.testkit.GoldenSpecs;
import dev.sparktune.testkit.RepoPaths;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The whole model of each fixture family on packed rows against transformers run per document
 * (scripts/goldens/model_forward.py): logits (≤ 1e-4 abs on document rows), loss, and every parameter gradient.
 */
final class ModelGoldenChecks {
    static final Path FIXTURES = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf");

    private ModelGoldenChecks() {}

    /** A fixture family's model: its config, the HF layout, and its weights read into fp32 parameters. */
    record Fixture(ModelConfig config, ParamLayout layout, INDArray params) {
        static Fixture load(String family) {
            Path dir = FIXTURES.resolve(family);
            ModelConfig config = HfConfigReader.read(dir);
            ParamLayout layout = HfParamNames.layout(config);
            INDArray params = layout.allocate();
            SafetensorsReader weights = SafetensorsReader.open(dir);
            for (ParamLayout.Entry e : layout.entries()) {
                weights.readInto(e.name(), layout.view(params, e.name()));
            }
            return new Fixture(config, layout, params);
        }
    }

    /** Every family the decoder implements: each golden file holds a case of each. */
    static final Set<String> FAMILIES = Set.of("llama", "qwen2", "qwen3", "mistral", "phi3", "gemma3", "qwen3_moe");

    static List<String> checkAll(Path goldenFile) {
        Goldens g = new Goldens(goldenFile);
        assertEquals(FAMILIES, g.cases.keySet());
        for (String family : g.cases.keySet()) {
            check(g, family);
        }
        return g.report;
    }

    private static void check(Goldens g, String family) {
        JsonNode c = g.cases.get(family);
        Fixture fixture = Fixture.load(family);
        ModelConfig config = fixture.config();
        ParamLayout layout = fixture.layout();
        INDArray params = fixture.params();
        INDArray grads = layout.allocate();
        assertEquals(
                new TreeSet<>(layout.names()),
                new TreeSet<>(g.paramNames(family)),
                family + ": gradients for exactly our parameters");

        int seqLen = c.get("seq_len").asInt();
        JsonNode docNode = c.get("doc_lens");
        int[][] docs = new int[docNode.size()][];
        for (int b = 0; b < docs.length; b++) {
            docs[b] = GoldenSpecs.ints(docNode.get(b));
        }
        PackedBatch packed = PackedBatch.fromDocLens(seqLen, docs);
        int[] ids = GoldenSpecs.ints(c.get("input_ids"));
        int[] targets = CausalLm.targets(GoldenSpecs.ints(c.get("labels")), packed);
        assertEquals(c.get("supervised").asLong(), CausalLm.supervisedCount(targets), family + " supervised tokens");
        double count = c.get("token_count").asDouble();

        CausalLm model = new CausalLm(config, layout, params, grads, docs.length, seqLen, 7);
        INDArray logits = model.logits(ids, packed);
        INDArray expectedLogits = g.tensor(family, "logits");
        int[] real = GoldenSpecs.ints(c.get("real_rows"));
        g.compareAbs(
                family + " logits (doc rows)",
                expectedLogits.get(NDArrayIndex.indices(toLong(real))),
                logits.get(NDArrayIndex.indices(toLong(real))),
                1e-4);

        double evalLoss = model.loss(ids, targets, packed, count);
        assertEquals(0.0, grads.sumNumber().doubleValue(), 0.0, "loss() must not touch gradients");
        double loss = model.forwardBackward(ids, targets, packed, count);
        INDArray expectedLoss = g.tensor(family, "loss");
        g.forward(family + " loss", expectedLoss, Nd4j.scalar((float) loss).reshape(1));
        g.forward(
                family + " loss (eval)",
                expectedLoss,
                Nd4j.scalar((float) evalLoss).reshape(1));
        for (ParamLayout.Entry e : layout.entries()) {
            g.grad(family + " d/" + e.name(), g.tensor(family, "d/" + e.name()), layout.view(grads, e.name()));
        }
        if (c.has("long_ids")) {
            // longrope beyond the pre-training length: the long factors, chosen per document, so the first document
            // of the batch above, packed behind the long one, keeps its short factors and its logits
            int[] longIds = GoldenSpecs.ints(c.get("long_ids"));
            assertTrue(config.rope().usesLongFactors(longIds.length), family + ": the long case must pass the length");
            int first = docs[0][0];
            int[] row = Arrays.copyOf(longIds, longIds.length + first);
            System.arraycopy(ids, 0, row, longIds.length, first);
            INDArray rowLogits = new CausalLm(config, layout, params, null, 1, row.length, 16)
                    .logits(row, PackedBatch.fromDocLens(row.length, new int[][] {{longIds.length, first}}));
            g.compareAbs(
                    family + " logits (long factors)",
                    g.tensor(family, "long_logits"),
                    rowLogits.get(NDArrayIndex.interval(0, longIds.length), NDArrayIndex.all()),
                    1e-4);
            g.compareAbs(
                    family + " logits (short doc packed behind it)",
                    expectedLogits.get(NDArrayIndex.interval(0, first), NDArrayIndex.all()),
                    rowLogits.get(NDArrayIndex.interval(longIds.length, row.length), NDArrayIndex.all()),
                    1e-4);
            // the KV-cache decoder: both sequences prefilled in one call, each with its own factors
            float[][] last = new KvCacheDecoder(config, layout, params, longIds.length, 2)
                    .appendAll(new int[] {0, 1}, List.of(longIds, Arrays.copyOf(ids, first)));
            g.compareAbs(
                    family + " decoder, long prompt's last logits",
                    g.tensor(family, "long_logits").getRow(longIds.length - 1),
                    Nd4j.create(last[0]),
                    1e-4);
            g.compareAbs(
                    family + " decoder, short prompt beside it",
                    expectedLogits.getRow(first - 1),
                    Nd4j.create(last[1]),
                    1e-4);
        }
    }

    private static long[] toLong(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
