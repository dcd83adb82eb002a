package dev.sparktune.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelSpecs;
import dev.sparktune.dl4j.model.RopeConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Layers against the naive double-precision oracles ({@link NaiveOps}) at shapes and feature combinations the
 * torch goldens do not cover (GQA group 3, head_dim ≠ C/NH, q/k norm + qkv bias + sliding window together, three
 * documents and padding in one row, llama3/linear RoPE, partial lm_head chunks); gradients by central finite
 * differences of Σ y·dy through the oracle.
 */
class LayerOracleTest {
    private final Random random = new Random(42);

    private static double[] d(INDArray a) {
        return a.dup('c').data().asDouble();
    }

    private INDArray randn(double scale, long... shape) {
        float[] v = new float[(int) Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        return Nd4j.create(v, shape, 'c');
    }

    private static void close(String what, double[] expected, INDArray actual, double absTol) {
        double[] a = d(actual);
        assertEquals(expected.length, a.length, what);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - expected[i]));
        }
        assertTrue(max <= absTol, what + ": max|diff| " + max + " > " + absTol);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Central differences of {@code loss} in up to 12 coordinates of {@code values} vs the analytic gradient. */
    private void fd(String what, double[] values, INDArray analytic, ToDoubleFunction<double[]> loss) {
        double[] g = d(analytic);
        double scale = 0;
        for (double x : g) {
            scale = Math.max(scale, Math.abs(x));
        }
        double eps = 1e-4;
        for (int k = 0; k < Math.min(12, values.length); k++) {
            int i = random.nextInt(values.length);
            double keep = values[i];
            values[i] = keep + eps;
            double up = loss.applyAsDouble(values);
            values[i] = keep - eps;
            double down = loss.applyAsDouble(values);
            values[i] = keep;
            double numeric = (up - down) / (2 * eps);
            assertTrue(
                    Math.abs(numeric - g[i]) <= 1e-3 * scale + 1e-5,
                    what + "[" + i + "]: analytic " + g[i] + " vs finite difference " + numeric + " (max|grad| " + scale
                            + ")");
        }
    }

    private LayerParams params(ParamLayout layout, double normBase) {
        INDArray flat = layout.allocate();
        for (ParamLayout.Entry e : layout.entries()) {
            boolean norm = e.name().contains("norm");
            layout.view(flat, e.name())
                    .assign(randn(norm ? 0.2 : 0.4, e.shape()).addi(norm ? normBase : 0.0));
        }
        return new LayerParams(layout, flat, layout.allocate(), "");
    }

    @Test
    void attentionWithEveryFeatureMatchesOracleAndFiniteDifferences() {
        int c = 12;
        int heads = 6;
        int kv = 2;
        int hd = 4;
        int window = 4;
        RopeConfig rope = new RopeConfig(RopeConfig.Type.LLAMA3, 10000, 4.0, 1.0, 4.0, 8);
        ModelConfig cfg = attentionConfig("Qwen3ForCausalLM", c, heads, kv, hd, rope, 64, true, window);
        ParamLayout layout = attentionLayout(c, heads, kv, hd);
        PackedBatch packed = PackedBatch.fromDocLens(12, new int[][] {{5, 4, 3}, {7}});
        checkAttention("attention", cfg, rope, layout, packed, layout.names());
    }

    @Test
    void attentionOverSeveralQueryTilesMatchesOracleAndFiniteDifferences() {
        int c = 8;
        int heads = 2;
        int kv = 1;
        int hd = 4;
        int seqLen = 2 * Attention.ROW_TILE + 45;
        // a document longer than one tile, one ending mid-tile, and a whole row; with and without a window that
        // starts a tile's keys after 0
        for (int window : new int[] {0, Attention.ROW_TILE - 56}) {
            RopeConfig rope = new RopeConfig(RopeConfig.Type.DEFAULT, 10000, 1.0, 1.0, 4.0, 8);
            ModelConfig cfg = attentionConfig("Qwen3ForCausalLM", c, heads, kv, hd, rope, 1024, true, window);
            PackedBatch packed =
                    PackedBatch.fromDocLens(seqLen, new int[][] {{Attention.ROW_TILE + 44, 200}, {seqLen}});
            checkAttention(
                    "tiled attention, window " + window,
                    cfg,
                    rope,
                    attentionLayout(c, heads, kv, hd),
                    packed,
                    List.of("q_proj.weight"));
        }
    }

    /**
     * One decoder layer's shape for an attention check (vocabulary and MLP width do not matter to it): with
     * {@code biasesAndNorms}, q/k/v and o_proj biases and the q/k norms, as {@link #attentionLayout} holds them.
     */
    private static ModelConfig attentionConfig(
            String architecture,
            int c,
            int heads,
            int kv,
            int hd,
            RopeConfig rope,
            int maxPositions,
            boolean biasesAndNorms,
            int window) {
        return new ModelConfig(
                ModelSpecs.forArchitecture(architecture),
                50,
                c,
                20,
                1,
                heads,
                kv,
                hd,
                1e-6,
                rope,
                maxPositions,
                false,
                biasesAndNorms,
                biasesAndNorms,
                false,
                biasesAndNorms,
                window,
                -1,
                List.of(),
                -1,
                null,
                null);
    }

    /** Every projection with a bias, and the q/k norms. */
    private static ParamLayout attentionLayout(int c, int heads, int kv, int hd) {
        return ParamLayout.builder()
                .add("q_proj.weight", heads * hd, c)
                .add("q_proj.bias", heads * hd)
                .add("k_proj.weight", kv * hd, c)
                .add("k_proj.bias", kv * hd)
                .add("v_proj.weight", kv * hd, c)
                .add("v_proj.bias", kv * hd)
                .add("o_proj.weight", c, heads * hd)
                .add("o_proj.bias", c)
                .add("q_norm.weight", hd)
                .add("k_norm.weight", hd)
                .build();
    }

    /**
     * Attention on random parameters and input: y against the double-precision oracle, dx and the gradients of the
     * named parameters against finite differences of the oracle.
     */
    private void checkAttention(
            String what,
            ModelConfig cfg,
            RopeConfig rope,
            ParamLayout layout,
            PackedBatch packed,
            List<String> checkedGrads) {
        LayerParams p = params(layout, 1.0);
        int n = packed.rows();
        INDArray x = randn(1.0, n, cfg.hiddenSize());
        INDArray dy = randn(1.0, n, cfg.hiddenSize());
        Attention attn = new Attention(cfg, p, packed.batch(), packed.seqLen());
        INDArray y = attn.forward(x, packed).dup();
        INDArray dx = attn.backward(dy).dup();

        double[] xs = d(x);
        double[] dys = d(dy);
        double[] theta = d(p.params());
        float[] inv = rope.inverseFrequencies(cfg.headDim());
        int[] pos = packed.positionIds();
        close(what + " y", oracle(xs, theta, layout, cfg, packed, inv, pos), y, 1e-5);
        fd(what + " dx", xs, dx, xv -> dot(oracle(xv, theta, layout, cfg, packed, inv, pos), dys));
        for (String name : checkedGrads) {
            ParamLayout.Entry e = layout.entry(name);
            fd(what + " d/" + name, slice(theta, layout, name), p.grad(name), sv -> {
                double[] t = theta.clone();
                System.arraycopy(sv, 0, t, (int) e.offset(), sv.length);
                return dot(oracle(xs, t, layout, cfg, packed, inv, pos), dys);
            });
        }
    }

    /**
     * Random packings of long documents (every tile boundary and remainder): each document's attention output in its
     * packed row equals the same document's output alone in the row, and the backward runs on every packing.
     */
    @Test
    void everyPackingOfLongDocumentsAttendsWithinEachDocument() {
        int c = 8;
        int seqLen = 1024;
        RopeConfig rope = new RopeConfig(RopeConfig.Type.DEFAULT, 10000, 1.0, 1.0, 4.0, 8);
        ModelConfig cfg = attentionConfig("MistralForCausalLM", c, 2, 1, 4, rope, 2048, false, 0);
        ParamLayout layout = ParamLayout.builder()
                .add("q_proj.weight", 8, c)
                .add("k_proj.weight", 4, c)
                .add("v_proj.weight", 4, c)
                .add("o_proj.weight", c, 8)
                .build();
        Attention attn = new Attention(cfg, params(layout, 1.0), 1, seqLen);
        INDArray x = randn(1.0, seqLen, c);
        Random r = new Random(3);
        for (int t = 0; t < 12; t++) {
            int docs = 1 + r.nextInt(3);
            int[] lens = new int[docs];
            for (int d = 0; d < docs; d++) {
                lens[d] = 2 + r.nextInt(seqLen / docs - 2);
            }
            INDArray packed = attn.forward(x, PackedBatch.fromDocLens(seqLen, new int[][] {lens}))
                    .dup();
            attn.backward(x);
            int start = 0;
            for (int len : lens) {
                // the same tokens at the start of a row of their own
                INDArray alone = x.dup();
                alone.get(NDArrayIndex.interval(0, len), NDArrayIndex.all())
                        .assign(x.get(NDArrayIndex.interval(start, start + len), NDArrayIndex.all()));
                INDArray y = attn.forward(alone, PackedBatch.fromDocLens(seqLen, new int[][] {{len}}));
                assertTrue(
                        y.get(NDArrayIndex.interval(0, len), NDArrayIndex.all())
                                .equalsWithEps(
                                        packed.get(NDArrayIndex.interval(start, start + len), NDArrayIndex.all()),
                                        1e-5),
                        "document of " + len + " at " + start + " in " + Arrays.toString(lens));
                start += len;
            }
        }
    }

    private static double[] slice(double[] theta, ParamLayout layout, String name) {
        ParamLayout.Entry e = layout.entry(name);
        return Arrays.copyOfRange(theta, (int) e.offset(), (int) (e.offset() + e.length()));
    }

    private static double[] oracle(
            double[] x,
            double[] theta,
            ParamLayout layout,
            ModelConfig cfg,
            PackedBatch packed,
            float[] inv,
            int[] pos) {
        int n = packed.rows();
        int c = cfg.hiddenSize();
        int hd = cfg.headDim();
        int nh = cfg.numHeads();
        int kv = cfg.numKvHeads();
        double[] q = NaiveOps.linear(
                x, slice(theta, layout, "q_proj.weight"), slice(theta, layout, "q_proj.bias"), n, c, nh * hd);
        double[] k = NaiveOps.linear(
                x, slice(theta, layout, "k_proj.weight"), slice(theta, layout, "k_proj.bias"), n, c, kv * hd);
        double[] v = NaiveOps.linear(
                x, slice(theta, layout, "v_proj.weight"), slice(theta, layout, "v_proj.bias"), n, c, kv * hd);
        q = NaiveOps.rmsNorm(q, slice(theta, layout, "q_norm.weight"), cfg.rmsNormEps(), n * nh, hd);
        k = NaiveOps.rmsNorm(k, slice(theta, layout, "k_norm.weight"), cfg.rmsNormEps(), n * kv, hd);
        q = NaiveOps.rope(q, pos, inv, n, nh, hd);
        k = NaiveOps.rope(k, pos, inv, n, kv, hd);
        double[] o = NaiveOps.attention(
                q, k, v, packed.batch(), packed.seqLen(), packed.docLens(), nh, kv, hd, cfg.slidingWindow());
        return NaiveOps.linear(
                o, slice(theta, layout, "o_proj.weight"), slice(theta, layout, "o_proj.bias"), n, nh * hd, c);
    }

    @Test
    void mlpNormLinearMatchOracleAndFiniteDifferences() {
        int n = 9;
        int c = 10;
        int inter = 14;
        ParamLayout layout = ParamLayout.builder()
                .add("gate_proj.weight", inter, c)
                .add("up_proj.weight", inter, c)
                .add("down_proj.weight", c, inter)
                .add("norm.weight", c)
                .add("lin.weight", 7, c)
                .add("lin.bias", 7)
                .build();
        LayerParams p = params(layout, 1.0);
        double[] theta = d(p.params());
        INDArray x = randn(1.5, n, c);
        double[] xs = d(x);

        SwiGluMlp mlp = new SwiGluMlp(p, n);
        INDArray dy = randn(1.0, n, c);
        double[] dys = d(dy);
        double[] wg = slice(theta, layout, "gate_proj.weight");
        double[] wu = slice(theta, layout, "up_proj.weight");
        double[] wd = slice(theta, layout, "down_proj.weight");
        BiFunction<double[], double[], double[]> swiGlu = (xv, gate) -> NaiveOps.swiGlu(xv, gate, wu, wd, n, c, inter);
        close("mlp y", swiGlu.apply(xs, wg), mlp.forward(x), 1e-5);
        INDArray dx = mlp.backward(dy).dup();
        fd("mlp dx", xs, dx, xv -> dot(swiGlu.apply(xv, wg), dys));
        fd("mlp d/gate_proj.weight", wg, p.grad("gate_proj.weight"), wv -> dot(swiGlu.apply(xs, wv), dys));

        RmsNorm norm = RmsNorm.of(p, "norm", 1e-5, n);
        double[] w = slice(theta, layout, "norm.weight");
        close("rmsnorm y", NaiveOps.rmsNorm(xs, w, 1e-5, n, c), norm.forward(x), 1e-5);
        INDArray ndx = norm.backward(dy).dup();
        fd("rmsnorm dx", xs, ndx, xv -> dot(NaiveOps.rmsNorm(xv, w, 1e-5, n, c), dys));
        fd("rmsnorm d/weight", w.clone(), p.grad("norm.weight"), wv -> dot(NaiveOps.rmsNorm(xs, wv, 1e-5, n, c), dys));

        Linear lin = Linear.of(p, "lin", n);
        INDArray ldy = randn(1.0, n, 7);
        double[] ldys = d(ldy);
        double[] lw = slice(theta, layout, "lin.weight");
        double[] lb = slice(theta, layout, "lin.bias");
        close("linear y", NaiveOps.linear(xs, lw, lb, n, c, 7), lin.forward(x), 1e-5);
        INDArray ldx = lin.backward(ldy).dup();
        fd("linear dx", xs, ldx, xv -> dot(NaiveOps.linear(xv, lw, lb, n, c, 7), ldys));
        fd("linear d/bias", lb.clone(), p.grad("lin.bias"), bv -> dot(NaiveOps.linear(xs, lw, bv, n, c, 7), ldys));
    }

    /**
     * PEFT's disable_adapter(): with the switch off, an adapted projection (B non-zero, dropout on) gives exactly its
     * frozen base's output, and refuses a backward (nothing was kept for one); turned back on, the adapter is back.
     */
    @Test
    void loraWithItsAdapterSwitchedOffIsItsBaseAlone() {
        int n = 12;
        int in = 9;
        int out = 7;
        INDArray w = randn(0.5, out, in);
        INDArray bias = randn(0.5, out);
        INDArray a = randn(0.5, 3, in);
        INDArray b = randn(0.5, out, 3);
        AdapterSwitch adapters = new AdapterSwitch();
        LoraLinear lora = new LoraLinear(
                "lora",
                Linear.frozen("base", w, bias, n),
                a,
                b,
                Nd4j.zeros(DataType.FLOAT, 3, in),
                Nd4j.zeros(DataType.FLOAT, out, 3),
                2.0,
                0.3,
                11,
                null,
                adapters,
                n);
        INDArray x = randn(1.0, n, in);
        INDArray base = Linear.frozen("plain", w, bias, n).forward(x).dup();
        INDArray on = lora.forward(x).dup();
        assertFalse(Arrays.equals(d(on), d(base)), "the adapter changes the output");
        try (AdapterSwitch.Off off = adapters.turnOff()) {
            assertArrayEquals(d(base), d(lora.forward(x)), "adapters off: the base projection bit for bit");
            assertThrows(IllegalStateException.class, () -> lora.backward(randn(1.0, n, out)));
        }
        lora.forward(x);
        lora.backward(randn(1.0, n, out)); // on again: the adapter's forward and backward run
    }

    @Test
    void loraWithDropoutMatchesOracleAndFiniteDifferencesUnderItsMask() {
        int n = 40;
        int in = 9;
        int out = 7;
        int rank = 3;
        double p = 0.3;
        INDArray w = randn(0.5, out, in);
        INDArray bias = randn(0.5, out);
        INDArray a = randn(0.5, rank, in);
        INDArray b = randn(0.5, out, rank);
        INDArray dA = Nd4j.zeros(DataType.FLOAT, rank, in);
        INDArray dB = Nd4j.zeros(DataType.FLOAT, out, rank);
        double s = LoraLinear.scaling(rank, 6, false);
        LoraLinear lora =
                new LoraLinear("lora", Linear.frozen("base", w, bias, n), a, b, dA, dB, s, p, 11, null, null, n);
        INDArray x = randn(1.0, n, in);
        INDArray dy = randn(1.0, n, out);
        INDArray y = lora.forward(x).dup();
        double[] m = d(lora.mask());
        long zeros = Arrays.stream(m).filter(v -> v == 0).count();
        for (double v : m) {
            assertTrue(v == 0 || Math.abs(v - 1 / (1 - p)) < 1e-6, "mask value " + v);
        }
        assertTrue(zeros > 0.15 * m.length && zeros < 0.45 * m.length, zeros + " of " + m.length + " dropped");
        INDArray dx = lora.backward(dy).dup();
        double[] ws = d(w);
        double[] bs = d(bias);
        double[] dys = d(dy);
        double[] as = d(a);
        double[] bls = d(b);
        BiFunction<double[], double[][], double[]> oracle = (xv, ab) -> {
            double[] xm = xv.clone();
            for (int i = 0; i < xm.length; i++) {
                xm[i] *= m[i];
            }
            double[] base = NaiveOps.linear(xv, ws, bs, n, in, out);
            double[] lo = NaiveOps.linear(NaiveOps.linear(xm, ab[0], null, n, in, rank), ab[1], null, n, rank, out);
            for (int i = 0; i < base.length; i++) {
                base[i] += s * lo[i];
            }
            return base;
        };
        close("lora y", oracle.apply(d(x), new double[][] {as, bls}), y, 1e-5);
        double[] xs = d(x);
        fd("lora dx", xs, dx, xv -> dot(oracle.apply(xv, new double[][] {as, bls}), dys));
        fd("lora dA", as.clone(), dA, av -> dot(oracle.apply(xs, new double[][] {av, bls}), dys));
        fd("lora dB", bls.clone(), dB, bv -> dot(oracle.apply(xs, new double[][] {as, bv}), dys));
        assertEquals(2.0, LoraLinear.scaling(4, 8, false), 0.0);
        assertEquals(4.0, LoraLinear.scaling(4, 8, true), 0.0);
    }

    @Test
    void ropeTypesMatchOracle() {
        int n = 7;
        int heads = 2;
        int hd = 16;
        int[] pos = {0, 3, 9, 0, 1, 200, 1000};
        int[] ones = {n};
        for (RopeConfig cfg : List.of(
                RopeConfig.defaultRope(500000),
                new RopeConfig(RopeConfig.Type.LINEAR, 10000, 4.0, 0, 0, 0),
                new RopeConfig(RopeConfig.Type.LLAMA3, 500000, 8.0, 1.0, 4.0, 32))) {
            Rope rope = new Rope(cfg, hd, n);
            rope.setPositions(new PackedBatch(1, n, pos, new int[][] {ones}));
            INDArray x = randn(1.0, n, heads * hd);
            INDArray y = Nd4j.create(DataType.FLOAT, n, heads * hd);
            rope.forward(x, y);
            close(
                    "rope " + cfg.type() + " y",
                    NaiveOps.rope(d(x), pos, cfg.inverseFrequencies(hd), n, heads, hd),
                    y,
                    2e-5);
            INDArray back = Nd4j.create(DataType.FLOAT, n, heads * hd);
            rope.backward(y, back);
            close("rope " + cfg.type() + " inverse", d(x), back, 2e-5);
        }
    }

    @Test
    void chunkedLossMatchesOracleForEveryChunkSize() {
        int n = 11;
        int c = 6;
        int vocab = 50;
        int[] targets = {1, -100, 49, 0, 7, 7, -100, -100, 30, 2, 11};
        INDArray h = randn(1.0, n, c);
        INDArray w = randn(0.5, vocab, c);
        double expected = NaiveOps.lmHeadLoss(d(h), d(w), targets, 20.0, n, c, vocab);
        INDArray firstDh = null;
        for (int chunk : new int[] {1, 4, n, 100}) {
            INDArray dw = Nd4j.zeros(DataType.FLOAT, vocab, c);
            LmHeadLoss loss = new LmHeadLoss("lm_head", w, dw, n, chunk);
            assertEquals(expected, loss.forwardBackward(h, targets, 20.0), 1e-5, "chunk " + chunk);
            if (firstDh == null) {
                firstDh = loss.dHidden().dup();
                double[] hs = d(h);
                double[] ws = d(w);
                fd(
                        "lm_head dHidden",
                        hs,
                        loss.dHidden(),
                        hv -> NaiveOps.lmHeadLoss(hv, ws, targets, 20.0, n, c, vocab));
                fd("lm_head dWeight", ws, dw, wv -> NaiveOps.lmHeadLoss(hs, wv, targets, 20.0, n, c, vocab));
            } else {
                assertTrue(firstDh.equalsWithEps(loss.dHidden(), 1e-6), "dHidden independent of chunk size");
            }
        }
        int[] none = new int[n];
        Arrays.fill(none, -100);
        LmHeadLoss loss = new LmHeadLoss("lm_head", w, Nd4j.zeros(DataType.FLOAT, vocab, c), n, 4);
        assertEquals(0.0, loss.forwardBackward(h, none, 1.0), 0.0);
        assertEquals(0.0, loss.dHidden().sumNumber().doubleValue(), 0.0);
    }

    @Test
    void lossMatchesOracleForEveryVocabularyPieceSize() {
        int n = 9;
        int c = 4;
        int vocab = 23;
        int[] targets = {22, -100, 0, 5, 21, 7, -100, 13, 1};
        INDArray h = randn(1.0, n, c);
        INDArray w = randn(0.5, vocab, c);
        double[] hs = d(h);
        double[] ws = d(w);
        double expected = NaiveOps.lmHeadLoss(hs, ws, targets, 9.0, n, c, vocab);
        // 1 row per piece, uneven pieces (the last one short), and one piece of the whole vocabulary
        for (int rowsPerPiece : new int[] {1, 5, 7, vocab}) {
            INDArray dw = Nd4j.zeros(DataType.FLOAT, vocab, c);
            LmHeadLoss loss = new LmHeadLoss("lm_head", w, dw, n, 4, (long) rowsPerPiece * c, false);
            assertEquals(expected, loss.forwardBackward(h, targets, 9.0), 1e-5, rowsPerPiece + " rows per piece");
            fd(
                    "lm_head dHidden, " + rowsPerPiece + " rows per piece",
                    hs,
                    loss.dHidden(),
                    hv -> NaiveOps.lmHeadLoss(hv, ws, targets, 9.0, n, c, vocab));
            fd(
                    "lm_head dWeight, " + rowsPerPiece + " rows per piece",
                    ws,
                    dw,
                    wv -> NaiveOps.lmHeadLoss(hs, wv, targets, 9.0, n, c, vocab));
        }
    }

    @Test
    void embeddingMatchesOracleAndAccumulatesRepeatedIds() {
        INDArray w = randn(1.0, 5, 3);
        INDArray dw = Nd4j.zeros(DataType.FLOAT, 5, 3);
        Embedding emb = new Embedding("embed_tokens", w, dw, 4);
        int[] ids = {4, 1, 4, 0};
        INDArray y = emb.forward(ids);
        for (int i = 0; i < ids.length; i++) {
            assertEquals(w.getRow(ids[i]), y.getRow(i));
        }
        INDArray dy = randn(1.0, 4, 3);
        emb.backward(dy);
        assertTrue(dw.getRow(4).equalsWithEps(dy.getRow(0).add(dy.getRow(2)), 1e-6));
        assertEquals(0.0, dw.getRow(2).sumNumber().doubleValue(), 0.0);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {0, 1, 5, 2}));
        assertTrue(
                e.getMessage().contains("token id 5 at position 2 is outside the vocabulary [0, 5)"), e.getMessage());
    }

    @Test
    void shapesOtherThanTheBuffersFailNamingBoth() {
        ParamLayout layout = ParamLayout.builder().add("lin.weight", 3, 4).build();
        LayerParams p = params(layout, 0);
        Linear lin = Linear.of(p, "lin", 5);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> lin.forward(Nd4j.zeros(DataType.FLOAT, 6, 4)));
        assertTrue(
                e.getMessage().contains("lin: input has shape [6, 4] but the layer's buffers were sized for [5, 4]"),
                e.getMessage());
        ModelConfig cfg = attentionConfig("LlamaForCausalLM", 4, 2, 2, 2, RopeConfig.defaultRope(10000), 64, false, 0);
        ParamLayout al = ParamLayout.builder()
                .add("q_proj.weight", 4, 4)
                .add("k_proj.weight", 4, 4)
                .add("v_proj.weight", 4, 4)
                .add("o_proj.weight", 4, 4)
                .build();
        Attention attn = new Attention(cfg, params(al, 0), 2, 3);
        IllegalArgumentException a = assertThrows(
                IllegalArgumentException.class,
                () -> attn.forward(Nd4j.zeros(DataType.FLOAT, 6, 4), PackedBatch.unpacked(1, 6)));
        assertTrue(a.getMessage().contains("[B=1, T=6] but the buffers were sized for [B=2, T=3]"), a.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PackedBatch(1, 4, new int[4], new int[][] {{3, 2}}));
    }
}
