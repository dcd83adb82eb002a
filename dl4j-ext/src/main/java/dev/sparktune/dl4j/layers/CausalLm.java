package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A decoder-only causal LM of any supported family on packed rows: embedding, L {@link DecoderLayer}s, final
 * RMSNorm, and the chunked lm_head + cross-entropy ({@link LmHeadLoss}; with tied embeddings the lm_head weight and
 * its gradient are the embedding's). Parameters and gradients are views of the caller's flat buffers laid out by
 * {@link HfParamNames#layout}; activations are sized once for (B, T).
 *
 * <p>Targets: HF labels shifted by one WITHIN each document ({@link #targets}), so no token predicts the first token
 * of the next document; the loss is their summed cross-entropy divided by the caller's global supervised-token count.
 * {@link #forwardBackward} ADDS into the gradient buffer (zeroing it is the caller's step). Backward stops below the
 * lowest part with a gradient: nothing beneath a frozen stack needs its input gradient (freeze fine-tuning of the
 * last layers runs the backward of those layers only).
 *
 * <p>Activation memory ({@link BufferArena}): each decoder layer keeps only what its backward reads; its forward
 * temporaries and backward gradients live in one scratch set that all decoder layers share. With activation
 * checkpointing ({@code checkpointLayers}) the layers also share one kept set: the forward keeps only each layer's
 * input, and the backward recomputes a layer's forward from it just before that layer's backward (the top layer's
 * activations are still in place). The same operations run in the same order, so the gradients are bit-identical to
 * a run without it; the cost is one more forward of L - 1 layers, the gain L - 1 layers' kept activations.
 * A {@link #forwardOnly} model (the reference pass) keeps nothing for a backward: the layers share one kept set as
 * under checkpointing, and one input buffer serves every layer (a layer's output lives in the shared set, which the
 * next layer writes), so it holds one layer's activations whatever L, with the same operations in the same order
 * as the forward of a model that keeps them all; its lm_head scores only the tokens with a target (log-probs equal
 * up to float rounding, {@link LmHeadLoss}).
 * Frozen weights may be stored in bf16 / fp16 ({@link WeightWidener}), with bit-identical results.
 */
public final class CausalLm {
    private final ModelConfig config;
    private final int batch;
    private final int seqLen;
    private final int rows;
    private final Embedding embedding;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm finalNorm;
    private final LmHeadLoss lmHead;
    private final INDArray lmHeadWeight; // [V, C]
    private final LayerHooks hooks;
    private final int lowestBackwardLayer; // layers.size() when only the final norm / lm_head train
    private final Activations activations;
    private final INDArray[] layerInputs; // the decoder layers' inputs (see Activations); null when all are kept
    private final INDArray carry; // checkpointing: the gradient passed down between layers
    private final long activationBytes;
    private final long keptBytesPerLayer;
    private final long scratchBytes;
    private INDArray heldForBackward; // the final norm's output of the last tokenLogProbs, until its backward
    private PackedBatch heldPacked;
    private int[] heldTargets;

    /** What the decoder layers keep of their forward. */
    private enum Activations {
        /** Each layer its own kept set: the backward reads them. */
        ALL_LAYERS,
        /** One kept set shared by all layers plus each layer's input: the backward recomputes each layer. */
        CHECKPOINTED,
        /** One kept set and one input buffer for all layers: no backward. */
        FORWARD_ONLY
    }

    public CausalLm(
            ModelConfig config,
            ParamLayout layout,
            INDArray params,
            INDArray grads,
            int batch,
            int seqLen,
            int lossChunkTokens) {
        this(
                config,
                new LayerParams(layout, params, grads, ""),
                null,
                batch,
                seqLen,
                lossChunkTokens,
                Projection.Factory.PLAIN,
                LayerHooks.NONE,
                Activations.ALL_LAYERS);
    }

    /**
     * A model of {@code base}'s weights, all frozen (no gradient buffer), whose decoder layers' linear projections
     * {@code projections} builds: LoRA adapters keep the only gradients; {@link Projection.Factory#PLAIN} gives the
     * base model alone.
     */
    public static CausalLm overFrozen(
            HfModelDir.Loaded base, Projection.Factory projections, int batch, int seqLen, int lossChunkTokens) {
        return frozen(base, projections, batch, seqLen, lossChunkTokens, Activations.ALL_LAYERS);
    }

    /**
     * A model of {@code model}'s weights for forward passes only ({@link #tokenLogProbs}, {@link #loss},
     * {@link #logits}): it holds one decoder layer's activations instead of L, and refuses a backward.
     */
    public static CausalLm forwardOnly(HfModelDir.Loaded model, int batch, int seqLen, int lossChunkTokens) {
        return forwardOnly(model, Projection.Factory.PLAIN, batch, seqLen, lossChunkTokens);
    }

    /**
     * {@link #forwardOnly(HfModelDir.Loaded, int, int, int)} with the decoder layers' projections built by
     * {@code projections} (frozen LoRA adapters on the frozen base: a reference model with its adapter unmerged).
     */
    public static CausalLm forwardOnly(
            HfModelDir.Loaded model, Projection.Factory projections, int batch, int seqLen, int lossChunkTokens) {
        return frozen(model, projections, batch, seqLen, lossChunkTokens, Activations.FORWARD_ONLY);
    }

    private static CausalLm frozen(
            HfModelDir.Loaded model,
            Projection.Factory projections,
            int batch,
            int seqLen,
            int lossChunkTokens,
            Activations activations) {
        return new CausalLm(
                model.config(),
                new LayerParams(model.layout(), model.params(), null, ""),
                null,
                batch,
                seqLen,
                lossChunkTokens,
                projections,
                LayerHooks.NONE,
                activations);
    }

    /**
     * A model whose decoder layers may live elsewhere than the root parameters (fully sharded training: every layer
     * is a view of one shared slot that {@code hooks} fill before the layer runs).
     *
     * @param root        embedding, final norm and lm_head (full names, e.g. {@code model.embed_tokens.weight})
     * @param layerParams the parameters of decoder layer l (names relative to the layer, e.g.
     *                    {@code self_attn.q_proj.weight}); null = {@code root}'s {@code model.layers.<l>.} entries
     * @param hooks       called around each decoder layer's forward and backward
     * @param checkpointLayers activation checkpointing per decoder layer (recompute in backward)
     */
    public CausalLm(
            ModelConfig config,
            LayerParams root,
            IntFunction<LayerParams> layerParams,
            int batch,
            int seqLen,
            int lossChunkTokens,
            Projection.Factory projections,
            LayerHooks hooks,
            boolean checkpointLayers) {
        this(
                config,
                root,
                layerParams,
                batch,
                seqLen,
                lossChunkTokens,
                projections,
                hooks,
                checkpointLayers ? Activations.CHECKPOINTED : Activations.ALL_LAYERS);
    }

    private CausalLm(
            ModelConfig config,
            LayerParams root,
            IntFunction<LayerParams> layerParams,
            int batch,
            int seqLen,
            int lossChunkTokens,
            Projection.Factory projections,
            LayerHooks hooks,
            Activations activations) {
        this.config = config;
        this.activations = activations;
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = batch * seqLen;
        this.hooks = hooks;
        WeightWidener widener = new WeightWidener();
        BufferArena rootArena = new BufferArena(false);
        this.embedding = build(
                widener,
                rootArena,
                rootArena,
                () -> Embedding.of(root, "model.embed_tokens", rows, config.padTokenId(), config.embeddingScale()));
        // one scratch set (and one shared kept set) per kind of layer: Qwen3-MoE's dense and sparse layers ask for
        // different buffers, the layers of one kind for the same ones
        BufferArena[] scratchOf = {new BufferArena(true), new BufferArena(true)};
        BufferArena[] sharedOf = activations == Activations.ALL_LAYERS
                ? null
                : new BufferArena[] {new BufferArena(true), new BufferArena(true)};
        long bytes = 0;
        for (int l = 0; l < config.numLayers(); l++) {
            int layer = l;
            int kind = config.isSparse(l) ? 1 : 0;
            LayerParams lp = layerParams == null ? root.child(HfParamNames.layerPrefix(l)) : layerParams.apply(l);
            BufferArena kept = sharedOf != null ? sharedOf[kind] : new BufferArena(false);
            BufferArena scratch = scratchOf[kind];
            kept.rewind();
            scratch.rewind();
            layers.add(build(
                    widener, kept, scratch, () -> new DecoderLayer(config, layer, lp, batch, seqLen, projections)));
            bytes += sharedOf != null ? 0 : kept.bytes();
        }
        long sharedBytes = sharedOf == null ? 0 : sharedOf[0].bytes() + sharedOf[1].bytes();
        long scratchSetBytes = scratchOf[0].bytes() + scratchOf[1].bytes();
        this.finalNorm = build(
                widener,
                rootArena,
                rootArena,
                () -> RmsNorm.of(
                        root,
                        "model.norm",
                        config.rmsNormEps(),
                        config.normWeightOffset(),
                        rows,
                        OutputUse.READ_IN_BACKWARD));
        String head = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        this.lmHeadWeight = root.value(head);
        this.lmHead = build(
                widener,
                rootArena,
                rootArena,
                () -> new LmHeadLoss(
                        head,
                        lmHeadWeight,
                        root.gradOrNull(head),
                        rows,
                        lossChunkTokens,
                        LmHeadLoss.PIECE_ELEMENTS,
                        activations == Activations.FORWARD_ONLY));
        long inputBytes = 4L * rows * config.hiddenSize();
        if (activations == Activations.ALL_LAYERS) {
            this.layerInputs = null;
            this.carry = null;
        } else {
            this.layerInputs = new INDArray[activations == Activations.CHECKPOINTED ? config.numLayers() : 1];
            for (int l = 0; l < layerInputs.length; l++) {
                layerInputs[l] = Shapes.buffer(rows, config.hiddenSize());
            }
            this.carry = activations == Activations.CHECKPOINTED ? Shapes.buffer(rows, config.hiddenSize()) : null;
            bytes += sharedBytes + inputBytes * (layerInputs.length + (carry == null ? 0 : 1));
        }
        this.keptBytesPerLayer = sharedOf != null ? sharedBytes : layers.isEmpty() ? 0 : bytes / layers.size();
        this.scratchBytes = scratchSetBytes;
        this.activationBytes = bytes + scratchSetBytes + rootArena.bytes() + widener.bytes();
        int lowest = 0;
        while (!embedding.trainable()
                && lowest < layers.size()
                && !layers.get(lowest).trainable()) {
            lowest++;
        }
        this.lowestBackwardLayer = lowest;
    }

    /** Builds a part of the model with its buffers from {@code kept} and {@code scratch}, widening into {@code widener}. */
    private static <T> T build(WeightWidener widener, BufferArena kept, BufferArena scratch, Supplier<T> part) {
        return widener.building(() -> kept.building(scratch, part));
    }

    /**
     * Per-token targets from HF-style labels [B·T] (aligned with input_ids, -100 = no loss): target[t] =
     * labels[t + 1] inside the same document, -100 at each document's last token and in padding.
     */
    public static int[] targets(int[] labels, PackedBatch packed) {
        if (labels.length != packed.rows()) {
            throw new IllegalArgumentException(
                    "labels has " + labels.length + " entries for " + packed.rows() + " tokens");
        }
        int[] t = new int[labels.length];
        Arrays.fill(t, LmHeadLoss.IGNORE);
        for (int b = 0; b < packed.batch(); b++) {
            int start = b * packed.seqLen();
            for (int len : packed.blocksUnsafe(b)) {
                for (int i = 0; i + 1 < len; i++) {
                    t[start + i] = labels[start + i + 1];
                }
                start += len;
            }
        }
        return t;
    }

    /** Number of targets that count towards the loss (≠ -100). */
    public static long supervisedCount(int[] targets) {
        return Arrays.stream(targets).filter(x -> x != LmHeadLoss.IGNORE).count();
    }

    private INDArray hidden(int[] inputIds, PackedBatch packed) {
        if (packed.batch() != batch || packed.seqLen() != seqLen) {
            throw new IllegalArgumentException("model: batch is [B=" + packed.batch() + ", T=" + packed.seqLen()
                    + "] but the buffers were sized for [B=" + batch + ", T=" + seqLen + "]");
        }
        INDArray x = embedding.forward(inputIds);
        for (int l = 0; l < layers.size(); l++) {
            hooks.beforeForward(l);
            if (layerInputs != null) {
                // forward-only: x is the previous layer's output, in the kept set this layer writes into; today's
                // DecoderLayer reads x before it writes its output, the copy keeps the layer free to change that
                x = layerInputs[activations == Activations.CHECKPOINTED ? l : 0].assign(x);
            }
            x = layers.get(l).forward(x, packed);
        }
        return finalNorm.forward(x);
    }

    /** Loss on pre-shifted {@code targets} (see {@link #targets}); no gradients touched. */
    public double loss(int[] inputIds, int[] targets, PackedBatch packed, double globalTokenCount) {
        heldForBackward = null;
        return lmHead.forward(hidden(inputIds, packed), targets, globalTokenCount);
    }

    /** Loss, and every parameter gradient ADDED into the flat gradient buffer. */
    public double forwardBackward(int[] inputIds, int[] targets, PackedBatch packed, double globalTokenCount) {
        requireBackward();
        heldForBackward = null;
        double loss = lmHead.forwardBackward(hidden(inputIds, packed), targets, globalTokenCount);
        backwardFromLmHead(packed);
        return loss;
    }

    /**
     * Each token's log-prob of its pre-shifted target into {@code out} (0 where there is none), for scoring only
     * (the reference log-probs): no backward may follow, and the buffers are free for the next forward.
     */
    public void scoreTokenLogProbs(int[] inputIds, int[] targets, PackedBatch packed, double[] out) {
        heldForBackward = null;
        lmHead.tokenLogProbs(hidden(inputIds, packed), targets, out);
    }

    /**
     * Each token's log-prob of its pre-shifted target into {@code out} (0 where there is none): the forward of a
     * preference loss. The activations stay held for {@link #backwardTokenLogProbs} (unless the model is
     * {@link #forwardOnly}).
     */
    public void tokenLogProbs(int[] inputIds, int[] targets, PackedBatch packed, double[] out) {
        heldForBackward = null; // the forward below overwrites what an earlier one held
        INDArray h = hidden(inputIds, packed);
        lmHead.tokenLogProbs(h, targets, out);
        if (activations != Activations.FORWARD_ONLY) {
            heldForBackward = h;
            heldPacked = packed;
            heldTargets = targets.clone();
        }
    }

    /**
     * The backward of a loss of the token log-probs from the last {@link #tokenLogProbs} (its tokens and targets; no
     * other forward in between): {@code dLogProb[i]} = dLoss/d(log-prob of token i); every parameter gradient ADDED
     * into the flat gradient buffer.
     */
    public void backwardTokenLogProbs(double[] dLogProb) {
        requireBackward();
        if (heldForBackward == null) {
            throw new IllegalStateException("backwardTokenLogProbs needs the activations of tokenLogProbs, and another "
                    + "forward ran since (or none did)");
        }
        INDArray h = heldForBackward;
        heldForBackward = null;
        lmHead.backwardLogProbs(h, heldTargets, dLogProb);
        backwardFromLmHead(heldPacked);
    }

    private void requireBackward() {
        if (activations == Activations.FORWARD_ONLY) {
            throw new IllegalStateException("a forward-only model (CausalLm.forwardOnly) keeps no activations for a "
                    + "backward; build the model with its activations to train it");
        }
    }

    /** From the lm_head's dHidden down: final norm, the layers (recomputed where checkpointed), the embedding. */
    private void backwardFromLmHead(PackedBatch packed) {
        INDArray d = finalNorm.backward(lmHead.dHidden());
        for (int l = layers.size() - 1; l >= lowestBackwardLayer; l--) {
            hooks.beforeBackward(l);
            if (layerInputs != null && l < layers.size() - 1) {
                d = carry.assign(d); // the shared buffers are about to be overwritten
                layers.get(l).forward(layerInputs[l], packed);
            }
            d = layers.get(l).backward(d);
            hooks.afterBackward(l);
        }
        if (embedding.trainable()) {
            embedding.backward(d);
        }
    }

    /** Full logits [B·T, V] (a new array: for evaluation and tests at small V; training never forms them). */
    public INDArray logits(int[] inputIds, PackedBatch packed) {
        heldForBackward = null;
        INDArray h = hidden(inputIds, packed);
        INDArray out = Nd4j.create(h.dataType(), rows, config.vocabSize());
        return Gemm.into(h, lmHeadWeight.castTo(h.dataType()), out, false, true, 1.0, 0.0);
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Bytes of the activation and working buffers sized for (B, T): embedding, decoder layers (what each keeps for
     * its backward, or one shared set plus each layer's saved input with checkpointing, or one shared set and one
     * input buffer forward-only; one scratch set for all),
     * final norm, the lm_head chunk, and the widening buffer of weights stored in bf16 / fp16.
     */
    public long activationBytes() {
        return activationBytes;
    }

    /** Bytes one decoder layer keeps for its backward (with checkpointing or forward-only: the one shared set). */
    public long keptBytesPerLayer() {
        return keptBytesPerLayer;
    }

    /** Bytes of the scratch buffers all decoder layers share. */
    public long scratchBytes() {
        return scratchBytes;
    }
}
