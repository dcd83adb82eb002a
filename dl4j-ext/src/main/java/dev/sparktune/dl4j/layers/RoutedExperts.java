package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.Views;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Qwen3-MoE's sparse block (transformers' Qwen3MoeSparseMoeBlock): a router {@code gate} [E, C] picks k experts per
 * token ({@link ExpertRouting}) and {@code out[n] = Σ_j w[n,j] · expert_{e(n,j)}(x[n])}, each expert a SwiGLU
 * {@code down(silu(gate(x)) ⊙ up(x))} with its own weights ({@code experts.<e>.gate_proj} etc., inner width I).
 * N rows, C hidden, E experts, k per token, R = N·k routed rows.
 *
 * <p>The R (token, slot) pairs are sorted by expert, so each expert's rows are one contiguous range of the [R, ·]
 * buffers and it runs as three GEMMs on that range: the work and the kept activations are those of a dense MLP of
 * width k·I, whatever E. Kept for backward: the routing, the gathered inputs xs [R, C], g and u [R, I], silu(g) ⊙ u
 * [R, I] and each expert's unweighted output os [R, C] (dw[n,j] = dOut[n] · os(n,j)).
 *
 * <p>Backward: dOs = w ⊙ dOut gathered by token; through each expert's SwiGLU; dx[n] = Σ_j dxs(n,j) plus the router's
 * input gradient from dLogits ({@link ExpertRouting#backward}). ADDS into every gradient. No LoRA here: PEFT adapts
 * this block only as the experts' fused 3-D parameters (target_parameters), which LoraAdapters refuses.
 */
final class RoutedExperts implements FeedForward {
    private final int rows;
    private final int experts;
    private final int topK;
    private final boolean norm;
    private final Linear router;
    private final INDArray[] gateW; // per expert [I, C]
    private final INDArray[] upW; // [I, C]
    private final INDArray[] downW; // [C, I]
    private final INDArray[] gateG; // gradients, null when frozen
    private final INDArray[] upG;
    private final INDArray[] downG;
    private final WeightWidener widener; // null when the experts are fp32
    private final boolean trainable;
    private final INDArray xs; // [R, C] kept: the routed rows' inputs, sorted by expert
    private final INDArray g; // [R, I] kept
    private final INDArray u; // [R, I] kept
    private final INDArray act; // [R, I] kept: silu(g) ⊙ u
    private final INDArray os; // [R, C] kept: each routed row's expert output before its weight
    private final INDArray sig; // [R, I] scratch
    private final INDArray dAct; // [R, I] scratch
    private final INDArray dG; // [R, I] scratch
    private final INDArray dU; // [R, I] scratch
    private final INDArray byPair; // [R, C] scratch: rows in (token, slot) order
    private final INDArray bySorted; // [R, C] scratch: rows in expert order
    private final INDArray out; // [N, C] scratch
    private final INDArray dx; // [N, C] scratch
    private ExpertRouting routing; // kept
    private int[] tokenOfSorted; // [R] kept: the token of each sorted row
    private int[] sortedOfPair; // [R] kept: pair n·k + j's row in expert order
    private int[] offsets; // [E + 1] kept: expert e's rows are [offsets[e], offsets[e + 1])

    RoutedExperts(ModelConfig config, LayerParams params, int rows) {
        ModelConfig.Moe moe = config.moe();
        this.rows = rows;
        this.experts = moe.numExperts();
        this.topK = moe.topK();
        this.norm = moe.normTopkProb();
        long hidden = config.hiddenSize();
        long inter = moe.expertIntermediate();
        long routed = (long) rows * topK;
        // the logits become probabilities at once: nothing reads them in backward
        this.router = Linear.of(params, "gate", rows, OutputUse.FORWARD_ONLY);
        this.gateW = new INDArray[experts];
        this.upW = new INDArray[experts];
        this.downW = new INDArray[experts];
        this.gateG = new INDArray[experts];
        this.upG = new INDArray[experts];
        this.downG = new INDArray[experts];
        boolean narrow = false;
        boolean anyGrad = router.trainable();
        for (int e = 0; e < experts; e++) {
            String x = HfParamNames.expertPrefix(e).substring("mlp.".length());
            gateW[e] = params.value(x + "gate_proj.weight");
            upW[e] = params.value(x + "up_proj.weight");
            downW[e] = params.value(x + "down_proj.weight");
            gateG[e] = params.gradOrNull(x + "gate_proj.weight");
            upG[e] = params.gradOrNull(x + "up_proj.weight");
            downG[e] = params.gradOrNull(x + "down_proj.weight");
            narrow |= narrowFrozen(params.prefix() + x + "gate_proj", gateW[e], gateG[e]);
            narrow |= narrowFrozen(params.prefix() + x + "up_proj", upW[e], upG[e]);
            narrow |= narrowFrozen(params.prefix() + x + "down_proj", downW[e], downG[e]);
            anyGrad |= gateG[e] != null || upG[e] != null || downG[e] != null;
        }
        this.widener = narrow ? WeightWidener.reserve(inter * hidden) : null;
        this.trainable = anyGrad;
        this.xs = Shapes.buffer(routed, hidden);
        this.g = Shapes.buffer(routed, inter);
        this.u = Shapes.buffer(routed, inter);
        this.act = Shapes.buffer(routed, inter);
        this.os = Shapes.buffer(routed, hidden);
        this.sig = Shapes.scratch(routed, inter);
        this.dAct = Shapes.scratch(routed, inter);
        this.dG = Shapes.scratch(routed, inter);
        this.dU = Shapes.scratch(routed, inter);
        this.byPair = Shapes.scratch(routed, hidden);
        this.bySorted = Shapes.scratch(routed, hidden);
        this.out = Shapes.scratch(rows, hidden);
        this.dx = Shapes.scratch(rows, hidden);
    }

    /** Whether {@code weight} is stored narrow (bf16 / fp16), which only a frozen weight may be. */
    private static boolean narrowFrozen(String name, INDArray weight, INDArray grad) {
        boolean narrow = WeightWidener.isNarrow(weight);
        if (narrow && grad != null) {
            throw new IllegalArgumentException(name + ": a trained weight must be FLOAT, is " + weight.dataType());
        }
        return narrow;
    }

    @Override
    public boolean trainable() {
        return trainable;
    }

    private INDArray w(INDArray weight) {
        return widener == null ? weight : widener.widen(weight);
    }

    /** x [N, C] → [N, C]. */
    @Override
    public INDArray forward(INDArray x) {
        INDArray logits = router.forward(x);
        routing = ExpertRouting.route(logits.dup().data().asFloat(), rows, experts, topK, norm);
        sortByExpert();
        Nd4j.pullRows(x, xs, 1, tokenOfSorted);
        for (int e = 0; e < experts; e++) {
            if (offsets[e] < offsets[e + 1]) {
                INDArray in = range(xs, e);
                Gemm.into(in, w(gateW[e]), range(g, e), false, true, 1.0, 0.0);
                Gemm.into(in, w(upW[e]), range(u, e), false, true, 1.0, 0.0);
            }
        }
        SwiGluMlp.siluProduct(g, u, sig, act);
        for (int e = 0; e < experts; e++) {
            if (offsets[e] < offsets[e + 1]) {
                Gemm.into(range(act, e), w(downW[e]), range(os, e), false, true, 1.0, 0.0);
            }
        }
        // out[n] = Σ_j w[n,j] · os(n,j): the rows back in (token, slot) order, weighted, summed over the k slots
        Nd4j.pullRows(os, byPair, 1, sortedOfPair);
        byPair.muliColumnVector(Nd4j.createFromArray(routing.weights()).reshape(byPair.size(0), 1));
        return out.assign(byPair.reshape(rows, topK, os.size(1)).sum(1));
    }

    /** Counting sort of the (token, slot) pairs by expert, tokens ascending within an expert. */
    private void sortByExpert() {
        int[] chosen = routing.chosen();
        offsets = new int[experts + 1];
        for (int e : chosen) {
            offsets[e + 1]++;
        }
        for (int e = 0; e < experts; e++) {
            offsets[e + 1] += offsets[e];
        }
        int[] next = offsets.clone();
        tokenOfSorted = new int[chosen.length];
        sortedOfPair = new int[chosen.length];
        for (int pair = 0; pair < chosen.length; pair++) {
            int at = next[chosen[pair]]++;
            tokenOfSorted[at] = pair / topK;
            sortedOfPair[pair] = at;
        }
    }

    /** Expert e's rows of a [R, ·] buffer (contiguous: a row range of a row-major matrix). */
    private INDArray range(INDArray buffer, int e) {
        return Views.rows(buffer, offsets[e], offsets[e + 1]);
    }

    /** Returns dx [N, C]. */
    @Override
    public INDArray backward(INDArray dOut) {
        // dw(n,j) = dOut[n] · os(n,j); dOs(n,j) = w(n,j) · dOut[n], both on the rows in expert order
        Nd4j.pullRows(dOut, bySorted, 1, tokenOfSorted);
        float[] dwSorted = bySorted.mul(os).sum(1).data().asFloat();
        float[] wSorted = new float[sortedOfPair.length];
        float[] dWeights = new float[sortedOfPair.length];
        for (int pair = 0; pair < sortedOfPair.length; pair++) {
            wSorted[sortedOfPair[pair]] = routing.weights()[pair];
            dWeights[pair] = dwSorted[sortedOfPair[pair]];
        }
        bySorted.muliColumnVector(Nd4j.createFromArray(wSorted).reshape(bySorted.size(0), 1));
        for (int e = 0; e < experts; e++) {
            if (offsets[e] < offsets[e + 1]) {
                INDArray dOs = range(bySorted, e);
                Gemm.into(dOs, w(downW[e]), range(dAct, e), false, false, 1.0, 0.0);
                if (downG[e] != null) {
                    Gemm.into(dOs, range(act, e), downG[e], true, false, 1.0, 1.0);
                }
            }
        }
        SwiGluMlp.siluProductBackward(g, u, sig, dAct, dG, dU);
        for (int e = 0; e < experts; e++) {
            if (offsets[e] < offsets[e + 1]) {
                INDArray dXs = range(byPair, e); // byPair is free until the gather below: dxs in expert order
                Gemm.into(range(dG, e), w(gateW[e]), dXs, false, false, 1.0, 0.0);
                INDArray dXsUp = Gemm.into(range(dU, e), w(upW[e]), range(bySorted, e), false, false, 1.0, 0.0);
                dXs.addi(dXsUp);
                if (gateG[e] != null) {
                    Gemm.into(range(dG, e), range(xs, e), gateG[e], true, false, 1.0, 1.0);
                }
                if (upG[e] != null) {
                    Gemm.into(range(dU, e), range(xs, e), upG[e], true, false, 1.0, 1.0);
                }
            }
        }
        // dx[n] = Σ_j dxs(n,j): the rows back in (token, slot) order, summed over the k slots
        Nd4j.pullRows(byPair, bySorted, 1, sortedOfPair);
        dx.assign(bySorted.reshape(rows, topK, xs.size(1)).sum(1));
        INDArray dLogits = Nd4j.createFromArray(routing.backward(dWeights)).reshape(rows, experts);
        router.backwardAccumulate(dLogits, dx);
        return dx;
    }
}
