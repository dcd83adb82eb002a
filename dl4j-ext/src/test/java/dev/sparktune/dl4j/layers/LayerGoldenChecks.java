package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.testkit.GoldenSpecs;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs every case of a goldens file through our layers: forward output, input gradient and every parameter gradient
 * against torch autograd; then a second forward/backward must leave exactly twice the gradients (backward adds).
 */
final class LayerGoldenChecks {
    private LayerGoldenChecks() {}

    static List<String> checkAll(Path file) {
        Goldens g = new Goldens(file);
        assertTrue(g.cases.size() >= 12, "expected all layer cases, got " + g.cases.keySet());
        for (String name : g.cases.keySet()) {
            check(g, name);
        }
        return g.report;
    }

    static void check(Goldens g, String name) {
        JsonNode c = g.cases.get(name);
        String type = c.get("type").asText();
        switch (type) {
            case "linear" -> {
                LayerParams p = g.load(name);
                Linear layer = new Linear(
                        name,
                        p.value("weight"),
                        p.valueOrNull("bias"),
                        p.grad("weight"),
                        p.gradOrNull("bias"),
                        c.get("rows").asInt());
                runTwice(g, name, p, () -> layer.forward(g.tensor(name, "x")), layer::backward);
            }
            case "rmsnorm" -> {
                LayerParams p = g.load(name);
                RmsNorm layer = new RmsNorm(
                        name,
                        p.value("weight"),
                        p.grad("weight"),
                        c.get("eps").asDouble(),
                        c.get("rows").asInt());
                runTwice(g, name, p, () -> layer.forward(g.tensor(name, "x")), layer::backward);
            }
            case "mlp" -> {
                LayerParams p = g.load(name);
                SwiGluMlp layer = new SwiGluMlp(p, c.get("rows").asInt());
                runTwice(g, name, p, () -> layer.forward(g.tensor(name, "x")), layer::backward);
            }
            case "rope" -> {
                ModelConfig cfg = HfConfigReader.parse(c.get("config").toString(), name);
                int[] pos = GoldenSpecs.ints(c.get("positions"));
                Rope rope = new Rope(cfg.rope(), c.get("head_dim").asInt(), pos.length);
                rope.setPositions(new PackedBatch(1, pos.length, pos, new int[][] {{pos.length}}));
                INDArray x = g.tensor(name, "x");
                INDArray y = Nd4j.zerosLike(x);
                rope.forward(x, y);
                g.forward(name + " y", g.tensor(name, "y"), y);
                INDArray dx = Nd4j.zerosLike(x);
                rope.backward(g.tensor(name, "dy"), dx);
                g.grad(name + " dx", g.tensor(name, "dx"), dx);
            }
            case "embedding" -> {
                LayerParams p = g.load(name);
                int[] ids = GoldenSpecs.ints(c.get("ids"));
                Embedding layer = new Embedding(name, p.value("weight"), p.grad("weight"), ids.length);
                for (int round = 1; round <= 2; round++) {
                    INDArray y = layer.forward(ids);
                    layer.backward(g.tensor(name, "dy"));
                    if (round == 1) {
                        g.forward(name + " y", g.tensor(name, "y"), y);
                        g.grad(name + " d/weight", g.tensor(name, "d/weight"), p.grad("weight"));
                    } else {
                        g.grad(
                                name + " d/weight (x2)",
                                g.tensor(name, "d/weight").mul(2),
                                p.grad("weight"));
                    }
                }
            }
            case "attention" -> {
                LayerParams p = g.load(name);
                ModelConfig cfg = HfConfigReader.parse(c.get("config").toString(), name);
                int batch = c.get("batch").asInt();
                int seqLen = c.get("seq_len").asInt();
                int[][] docs = new int[batch][];
                for (int b = 0; b < batch; b++) {
                    docs[b] = GoldenSpecs.ints(c.get("doc_lens").get(b));
                }
                PackedBatch packed = new PackedBatch(batch, seqLen, GoldenSpecs.ints(c.get("positions")), docs);
                assertEquals(
                        Arrays.toString(PackedBatch.fromDocLens(seqLen, docs).positionIds()),
                        Arrays.toString(packed.positionIds()),
                        "positions restart per document");
                Attention layer = new Attention(cfg, p, batch, seqLen);
                runTwice(g, name, p, () -> layer.forward(g.tensor(name, "x"), packed), layer::backward);
            }
            case "lmhead" -> {
                LayerParams p = g.load(name);
                int[] targets = GoldenSpecs.ints(c.get("targets"));
                double count = c.get("token_count").asDouble();
                LmHeadLoss layer = new LmHeadLoss(
                        name, p.value("weight"), p.grad("weight"), c.get("rows").asInt(), 3);
                INDArray x = g.tensor(name, "x");
                double expected = g.tensor(name, "loss").getDouble(0);
                double evalLoss = layer.forward(x, targets, count);
                assertEquals(0.0, p.grads().sumNumber().doubleValue(), 0.0, "forward() must not touch gradients");
                for (int round = 1; round <= 2; round++) {
                    double loss = layer.forwardBackward(x, targets, count);
                    g.forward(
                            name + " loss" + (round == 2 ? " (again)" : ""),
                            Nd4j.scalar((float) expected).reshape(1),
                            Nd4j.scalar((float) loss).reshape(1));
                    g.grad(name + " dx", g.tensor(name, "dx"), layer.dHidden());
                    g.grad(
                            name + " d/weight" + (round == 2 ? " (x2)" : ""),
                            g.tensor(name, "d/weight").mul(round),
                            p.grad("weight"));
                }
                g.forward(
                        name + " loss (eval)",
                        Nd4j.scalar((float) expected).reshape(1),
                        Nd4j.scalar((float) evalLoss).reshape(1));
            }
            case "lmhead_logps" -> {
                LayerParams p = g.load(name);
                int[] targets = GoldenSpecs.ints(c.get("targets"));
                int rows = c.get("rows").asInt();
                INDArray x = g.tensor(name, "x");
                long hidden = x.size(1);
                // the whole vocabulary in one piece, and in pieces of 8 rows (a target's subtraction per piece)
                for (long pieceElements : new long[] {LmHeadLoss.PIECE_ELEMENTS, 8 * hidden}) {
                    p.grads().assign(0);
                    LmHeadLoss layer =
                            new LmHeadLoss(name, p.value("weight"), p.grad("weight"), rows, 3, pieceElements, false);
                    String label = name + (pieceElements == LmHeadLoss.PIECE_ELEMENTS ? "" : " (pieces)");
                    double[] logps = new double[rows];
                    layer.tokenLogProbs(x, targets, logps);
                    assertEquals(
                            0.0, p.grads().sumNumber().doubleValue(), 0.0, "tokenLogProbs must not touch gradients");
                    g.forward(
                            label + " logps",
                            g.tensor(name, "logps"),
                            Nd4j.createFromArray(logps).castTo(x.dataType()));
                    layer.backwardLogProbs(x, targets, g.tensor(name, "dlogps").toDoubleVector());
                    g.grad(label + " dx", g.tensor(name, "dx"), layer.dHidden());
                    g.grad(label + " d/weight", g.tensor(name, "d/weight"), p.grad("weight"));
                }
            }
            case "lora" -> {
                LayerParams p = g.load(name); // lora_A / lora_B (the parameters with gradients)
                int rows = c.get("rows").asInt();
                double scaling = LoraLinear.scaling(
                        c.get("rank").asInt(),
                        c.get("alpha").asDouble(),
                        c.get("use_rslora").asBoolean());
                assertEquals(c.get("scaling").asDouble(), scaling, 1e-12, name + " scaling");
                Linear base =
                        Linear.frozen(name + ".base", g.tensor(name, "base.weight"), g.tensor(name, "base.bias"), rows);
                LoraLinear layer = new LoraLinear(
                        name,
                        base,
                        p.value("lora_A.weight"),
                        p.value("lora_B.weight"),
                        p.grad("lora_A.weight"),
                        p.grad("lora_B.weight"),
                        scaling,
                        0.0,
                        1,
                        null,
                        null,
                        rows);
                runTwice(g, name, p, () -> layer.forward(g.tensor(name, "x")), layer::backward);
            }
            default -> throw new IllegalStateException("unknown golden case type " + type + " in " + name);
        }
    }

    /** forward → compare y; backward(dy) → compare dx and every param grad; repeat → grads must be 2×. */
    private static void runTwice(
            Goldens g, String name, LayerParams p, Supplier<INDArray> forward, Function<INDArray, INDArray> backward) {
        INDArray dy = g.tensor(name, "dy");
        for (int round = 1; round <= 2; round++) {
            INDArray y = forward.get();
            INDArray dx = backward.apply(dy);
            String tag = round == 2 ? " (x2)" : "";
            if (round == 1) {
                g.forward(name + " y", g.tensor(name, "y"), y);
                g.grad(name + " dx", g.tensor(name, "dx"), dx);
            }
            for (String param : g.paramNames(name)) {
                g.grad(name + " d/" + param + tag, g.tensor(name, "d/" + param).mul(round), p.grad(param));
            }
        }
    }
}
