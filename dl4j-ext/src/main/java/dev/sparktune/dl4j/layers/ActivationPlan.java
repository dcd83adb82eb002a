package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.function.Predicate;

/**
 * The bytes of activation and working buffers a {@link CausalLm} allocates for one micro-batch shape, computed without
 * building it: the figures a launch is checked against before anything is loaded. It restates, buffer by buffer,
 * what the layers' constructors ask of {@link Shapes#buffer} (kept for the backward) and {@link Shapes#scratch}
 * (shared by all decoder layers); {@code ActivationPlanTest} holds it equal to {@link CausalLm#activationBytes} in
 * every mode, so a change to a layer's buffers that is not made here fails there.
 *
 * <p>Per token of a Qwen3-0.6B layer (C 1024, 16 heads / 8 kv of 128, intermediate 3072) a layer keeps ~22.6k
 * floats: its output and the residual h (2C), both norm outputs (2C), q and k under their norms (NH·D + KV·D), the
 * rotated q and k and v head-major (NH·D + 2·KV·D), the attention output (NH·D), gate, up and their product (3I),
 * and per row and head the softmax max and 1/sum. torch keeps ~30.7k for the same layer (sdpa's saved q/k/v/output
 * and logsumexp, the norms' inputs and outputs, the projections' inputs, silu's input and output).
 *
 * @param keptPerLayer bytes one decoder layer keeps for its backward (Qwen3-MoE: the mean over its dense and sparse
 *                     layers; with checkpointing the shared sets, one per kind of layer)
 * @param scratch      bytes of the scratch set all decoder layers share (one per kind of layer)
 * @param layerInputs  activation checkpointing: each layer's saved input and the gradient carried between layers;
 *                     forward-only: the one input buffer of every layer
 * @param root         embedding output, final norm, lm_head chunk of logits and dHidden (forward-only: and the
 *                     gathered chunk)
 * @param widening     the buffer frozen bf16 / fp16 weights are widened into ({@link WeightWidener})
 * @param layers       L
 * @param checkpointing whether the decoder layers share one kept set (recomputed in backward, or forward-only)
 * @param keptAll      bytes all decoder layers keep (the shared sets when checkpointing)
 */
public record ActivationPlan(
        long keptPerLayer,
        long scratch,
        long layerInputs,
        long root,
        long widening,
        int layers,
        boolean checkpointing,
        long keptAll) {

    /**
     * @param lora   the adapters on the projections, or null (full and freeze fine-tuning)
     * @param narrow which parameters (HF names) the model reads from bf16 / fp16 storage, widened on use
     */
    public static ActivationPlan of(
            ModelConfig c,
            int batch,
            int seqLen,
            int lossChunkTokens,
            LoraConfig lora,
            boolean checkpointing,
            Predicate<String> narrow) {
        return of(
                c,
                batch,
                seqLen,
                lossChunkTokens,
                lora,
                checkpointing ? CausalLm.Activations.CHECKPOINTED : CausalLm.Activations.ALL_LAYERS,
                narrow);
    }

    /** What {@link CausalLm#forwardOnly} allocates: one shared kept set and one input buffer. */
    public static ActivationPlan forwardOnly(
            ModelConfig c, int batch, int seqLen, int lossChunkTokens, Predicate<String> narrow) {
        return of(c, batch, seqLen, lossChunkTokens, null, CausalLm.Activations.FORWARD_ONLY, narrow);
    }

    private static ActivationPlan of(
            ModelConfig c,
            int batch,
            int seqLen,
            int lossChunkTokens,
            LoraConfig lora,
            CausalLm.Activations activations,
            Predicate<String> narrow) {
        boolean checkpointing = activations != CausalLm.Activations.ALL_LAYERS; // the layers share one kept set
        long n = (long) batch * seqLen;
        long hidden = c.hiddenSize();
        // Qwen3-MoE's dense and sparse layers ask for different buffers: one scratch set (and, checkpointed, one kept
        // set) per kind present, as CausalLm builds them
        long keptAll = 0;
        long sharedKept = 0;
        long scratchSets = 0;
        for (boolean sparse : new boolean[] {false, true}) {
            int count = 0;
            for (int l = 0; l < c.numLayers(); l++) {
                count += c.isSparse(l) == sparse ? 1 : 0;
            }
            if (count == 0) {
                continue;
            }
            Floats kept = new Floats();
            Floats scratch = new Floats();
            decoderLayer(kept, scratch, c, n, seqLen, lora, sparse);
            keptAll += count * kept.total;
            sharedKept += kept.total;
            scratchSets += scratch.total;
        }
        double offset = c.normWeightOffset();

        Floats root = new Floats();
        root.add(n * hidden); // embedding output
        norm(root, root, n, hidden, true, offset); // final norm
        long chunk = Math.min(lossChunkTokens, n);
        root.add(chunk * c.vocabSize(), n * hidden, chunk, chunk, chunk); // logits, dHidden, rowMax, rowSum, pieceStat
        if (activations == CausalLm.Activations.FORWARD_ONLY) {
            root.add(chunk * hidden); // the lm_head's gathered chunk of rows with a target
        }
        long inputs = n
                * hidden
                * switch (activations) {
                    case ALL_LAYERS -> 0;
                    case CHECKPOINTED -> c.numLayers() + 1L; // each layer's input and the carried gradient
                    case FORWARD_ONLY -> 1; // one input buffer for all layers
                };
        long widen = 0;
        for (ParamLayout.Entry e : HfParamNames.layout(c).entries()) {
            if (narrow.test(e.name())) {
                widen = Math.max(widen, wideningElements(c, e));
            }
        }
        // kept per layer as CausalLm reports it: the shared sets when checkpointed, else the layers' mean
        long perLayer = checkpointing ? 4 * sharedKept : 4 * keptAll / c.numLayers();
        return new ActivationPlan(
                perLayer,
                4 * scratchSets,
                4 * inputs,
                4 * root.total,
                4 * widen,
                c.numLayers(),
                checkpointing,
                4 * (checkpointing ? sharedKept : keptAll));
    }

    /** One decoder layer's buffers (see DecoderLayer): attention, norms, and the MLP or the routed experts. */
    private static void decoderLayer(
            Floats kept, Floats scratch, ModelConfig c, long n, int seqLen, LoraConfig lora, boolean sparse) {
        long hidden = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long inter = c.intermediateSize();
        // DecoderLayer: input norm (output read by the projections), attention, post norm, MLP, h, out, dH
        double offset = c.normWeightOffset();
        norm(kept, scratch, n, hidden, true, offset);
        boolean qk = c.qkNorm();
        projection(kept, scratch, c, lora, "q_proj", n, hidden, q, c.qkvBias(), qk);
        projection(kept, scratch, c, lora, "k_proj", n, hidden, kv, c.qkvBias(), qk);
        projection(kept, scratch, c, lora, "v_proj", n, hidden, kv, c.qkvBias(), false);
        projection(kept, scratch, c, lora, "o_proj", n, q, hidden, c.outputBias(), false);
        if (qk) {
            norm(kept, scratch, n * c.numHeads(), c.headDim(), false, offset);
            norm(kept, scratch, n * c.numKvHeads(), c.headDim(), false, offset);
        }
        long t2 = (long) seqLen * seqLen;
        scratch.add(n * q, n * kv); // qRot, kRot
        kept.add(n * q, n * kv, n * kv); // qh, kh, vh
        kept.add(2 * n * c.numHeads()); // softmax max and 1/sum
        scratch.add(t2, n * q); // scores, oh
        kept.add(n * q); // attnOut
        scratch.add(n * q, n * q, n * kv, n * kv, t2, n * q, n * kv, n * kv); // dOh dQh dKh dVh dScores dQRot dKRot dV
        if (c.isGemma()) { // the norms on the attention's and the MLP's outputs, and their kept inputs
            norm(kept, scratch, n, hidden, false, offset);
            norm(kept, scratch, n, hidden, false, offset);
            kept.add(n * hidden, n * hidden);
        }
        norm(kept, scratch, n, hidden, true, offset);
        if (sparse) { // RoutedExperts: the router (no LoRA), then R = N·k routed rows
            long e = c.moe().numExperts();
            long r = n * c.moe().topK();
            long i = c.moe().expertIntermediate();
            scratch.add(n * e, n * hidden); // router output, dInput
            kept.add(r * hidden, r * i, r * i, r * i, r * hidden); // xs, g, u, act, os
            scratch.add(r * i, r * i, r * i, r * i, r * hidden, r * hidden); // sig, dAct, dG, dU, byPair, bySorted
            scratch.add(n * hidden, n * hidden); // out, dx
        } else {
            projection(kept, scratch, c, lora, "gate_proj", n, hidden, inter, c.mlpBias(), true);
            projection(kept, scratch, c, lora, "up_proj", n, hidden, inter, c.mlpBias(), true);
            projection(kept, scratch, c, lora, "down_proj", n, inter, hidden, c.mlpBias(), false);
            scratch.add(n * inter); // sig
            kept.add(n * inter); // act
            scratch.add(n * inter, n * inter); // dGate, dUp
        }
        kept.add(n * hidden, n * hidden); // h, out
        scratch.add(n * hidden); // dH
    }

    /**
     * Floats of the widening buffer a narrow parameter needs: the lm_head (or the tied embedding) a vocabulary piece,
     * an untied embedding none (rows are widened one by one into the output), any other its whole size.
     */
    private static long wideningElements(ModelConfig c, ParamLayout.Entry e) {
        boolean embedding = e.name().equals("model.embed_tokens.weight");
        if (e.name().equals("lm_head.weight") || embedding && c.tieWordEmbeddings()) {
            return lmHeadPiece(c) * c.hiddenSize();
        }
        return embedding ? 0 : e.length();
    }

    /** W's rows per piece of {@link LmHeadLoss}. */
    private static long lmHeadPiece(ModelConfig c) {
        return Math.max(1, Math.min(c.vocabSize(), LmHeadLoss.PIECE_ELEMENTS / c.hiddenSize()));
    }

    /**
     * RmsNorm over R rows of dim: r per row kept; x̂, stats, dInput, scratch, the ones row and (with a weight offset)
     * the shifted weight are scratch.
     */
    private static void norm(Floats kept, Floats scratch, long rows, long dim, boolean outputKept, double offset) {
        kept.add(rows); // invRms
        if (offset != 0) {
            scratch.add(dim); // offset + weight
        }
        scratch.add(rows, rows * dim); // stat, xHat
        (outputKept ? kept : scratch).add(rows * dim); // output
        scratch.add(rows * dim, rows * dim, rows); // dInput, scratch, onesRow
    }

    /** Linear (+ LoRA adapter): output per use, dInput and the bias's ones row scratch; xa kept, dXa scratch. */
    private static void projection(
            Floats kept,
            Floats scratch,
            ModelConfig c,
            LoraConfig lora,
            String name,
            long n,
            long in,
            long out,
            boolean bias,
            boolean outputKept) {
        (outputKept ? kept : scratch).add(n * out); // output
        scratch.add(n * in); // dInput
        if (bias) {
            scratch.add(n); // onesRow
        }
        // a part of a fused weight (Phi-3's q_proj) is targeted through its fused projection (qkv_proj)
        HfParamNames.Part part = HfParamNames.parts(c).get(HfParamNames.module(name));
        String target =
                part == null ? name : part.fused().substring(part.fused().indexOf('.') + 1);
        if (lora != null && lora.targets(target)) {
            if (lora.dropout() > 0) {
                kept.add(n * in, n * in); // mask, dropped
                scratch.add(n * in); // dxLora
            }
            kept.add(n * lora.rank()); // xa
            scratch.add(n * lora.rank()); // dXa
        }
    }

    /** Bytes held for one micro-batch: kept activations (one set or L), scratch, saved inputs, root, widening. */
    public long total() {
        return keptAll + scratch + layerInputs + root + widening;
    }

    private static final class Floats {
        private long total;

        void add(long... counts) {
            for (long c : counts) {
                total += c;
            }
        }
    }
}
