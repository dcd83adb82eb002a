package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A decoder-only causal LM of any supported family on packed rows: embedding, L {@link DecoderLayer}s, final
 * RMSNorm, and the chunked lm_head + cross-entropy ({@link LmHeadLoss}; with tied embeddings the lm_head weight and
 * its gradient are the embedding's). Parameters and gradients are views of the caller's flat buffers laid out by
 * {@link HfParamNames#layout}; activations are sized once for (B, T). A batch of shorter rows (T' &lt; T, padded to
 * {@link #rowLength}) runs on the same layers built for T' over prefixes of the same buffers: padding costs what
 * real tokens cost, so a table of short rows should not pay for its seq_len.
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
    private final Buffers buffers; // where the buffers came from, for models of shorter rows over them
    private final Rebuild rebuild; // how this model was built, for the same
    private final Map<Integer, CausalLm> shorterRows = new HashMap<>(); // by T, over this model's buffers
    private CausalLm lastRun; // this model or one of shorterRows: the one whose activations the buffers hold
    private INDArray heldForBackward; // the final norm's output of the last tokenLogProbs, until its backward
    private PackedBatch heldPacked;
    private int[] heldTargets;

    /** The arenas a model's buffers came from: a model for shorter rows takes prefixes of them. */
    private record Buffers(
            WeightWidener widener,
            BufferArena root,
            BufferArena[] scratchOf,
            BufferArena[] sharedOf,
            List<BufferArena> keptPerLayer,
            BufferArena inputs) {}

    /** The constructor's arguments that a model for shorter rows repeats. */
    private record Rebuild(
            LayerParams root,
            IntFunction<LayerParams> layerParams,
            int lossChunkTokens,
            Projection.Factory projections) {}

    /** What the decoder layers keep of their forward ({@link ActivationPlan} sizes each). */
    enum Activations {
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
                Activations.ALL_LAYERS,
                null);
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
                activations,
                null);
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
                checkpointLayers ? Activations.CHECKPOINTED : Activations.ALL_LAYERS,
                null);
    }

    /** A model of {@code longest}'s parameters, hooks and projections for rows of T tokens, over its buffers. */
    private CausalLm(CausalLm longest, int seqLen) {
        this(
                longest.config,
                longest.rebuild.root(),
                longest.rebuild.layerParams(),
                longest.batch,
                seqLen,
                longest.rebuild.lossChunkTokens(),
                longest.rebuild.projections(),
                longest.hooks,
                longest.activations,
                longest.buffers);
    }

    /** @param over the buffers of the longest rows' model, for a model of shorter rows over them; else null */
    private CausalLm(
            ModelConfig config,
            LayerParams root,
            IntFunction<LayerParams> layerParams,
            int batch,
            int seqLen,
            int lossChunkTokens,
            Projection.Factory projections,
            LayerHooks hooks,
            Activations activations,
            Buffers over) {
        this.config = config;
        this.activations = activations;
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = batch * seqLen;
        this.hooks = hooks;
        this.rebuild = new Rebuild(root, layerParams, lossChunkTokens, projections);
        WeightWidener widener = over == null ? new WeightWidener() : over.widener();
        BufferArena rootArena = over == null ? new BufferArena(false) : BufferArena.over(over.root());
        this.embedding = build(
                widener,
                rootArena,
                rootArena,
                () -> Embedding.of(root, "model.embed_tokens", rows, config.padTokenId(), config.embeddingScale()));
        // one scratch set (and one shared kept set) per kind of layer: Qwen3-MoE's dense and sparse layers ask for
        // different buffers, the layers of one kind for the same ones
        BufferArena[] scratchOf = over == null
                ? new BufferArena[] {new BufferArena(true), new BufferArena(true)}
                : new BufferArena[] {BufferArena.over(over.scratchOf()[0]), BufferArena.over(over.scratchOf()[1])};
        BufferArena[] sharedOf = activations == Activations.ALL_LAYERS
                ? null
                : over == null
                        ? new BufferArena[] {new BufferArena(true), new BufferArena(true)}
                        : new BufferArena[] {BufferArena.over(over.sharedOf()[0]), BufferArena.over(over.sharedOf()[1])
                        };
        List<BufferArena> keptPerLayer = new ArrayList<>();
        long bytes = 0;
        for (int l = 0; l < config.numLayers(); l++) {
            int layer = l;
            int kind = config.isSparse(l) ? 1 : 0;
            LayerParams lp = layerParams == null ? root.child(HfParamNames.layerPrefix(l)) : layerParams.apply(l);
            BufferArena kept = sharedOf != null
                    ? sharedOf[kind]
                    : over == null
                            ? new BufferArena(false)
                            : BufferArena.over(over.keptPerLayer().get(l));
            if (sharedOf == null) {
                keptPerLayer.add(kept);
            }
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
        BufferArena inputs = over == null ? new BufferArena(false) : BufferArena.over(over.inputs());
        if (activations == Activations.ALL_LAYERS) {
            this.layerInputs = null;
            this.carry = null;
        } else {
            int saved = activations == Activations.CHECKPOINTED ? config.numLayers() : 1;
            this.layerInputs = inputs.building(() -> {
                INDArray[] in = new INDArray[saved];
                for (int l = 0; l < saved; l++) {
                    in[l] = Shapes.buffer(rows, config.hiddenSize());
                }
                return in;
            });
            this.carry = activations == Activations.CHECKPOINTED
                    ? inputs.building(() -> Shapes.buffer(rows, config.hiddenSize()))
                    : null;
            bytes += sharedBytes + inputs.bytes();
        }
        this.keptBytesPerLayer = sharedOf != null ? sharedBytes : layers.isEmpty() ? 0 : bytes / layers.size();
        this.scratchBytes = scratchSetBytes;
        this.activationBytes = bytes + scratchSetBytes + rootArena.bytes() + (over == null ? widener.bytes() : 0);
        this.buffers = new Buffers(widener, rootArena, scratchOf, sharedOf, keptPerLayer, inputs);
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

    /**
     * The row length a batch whose longest row holds {@code longestRow} tokens is padded to, for a model sized for
     * rows of {@code seqLen}: the smallest of 16, 24, 32, 48, 64, 96, ... (powers of two and 1.5 times them) that
     * holds the row, at most {@code seqLen}. Padding costs what a real token costs in every layer, so a batch of
     * short rows (a table without packing, whose seq_len is the cutoff) runs at its own length, wasting at most a
     * third of it; the few lengths keep the models this one builds for them ({@link #run}) few.
     */
    public static int rowLength(int longestRow, int seqLen) {
        if (longestRow > seqLen) {
            throw new IllegalArgumentException("a row of " + longestRow + " tokens does not fit rows of " + seqLen);
        }
        for (int power = 16; ; power *= 2) {
            if (longestRow <= power) {
                return Math.min(power, seqLen);
            }
            if (longestRow <= power + power / 2) {
                return Math.min(power + power / 2, seqLen);
            }
        }
    }

    /**
     * The model that runs {@code packed}: this one for rows of its T, else one for the batch's shorter rows built over
     * this model's parameters and buffers (on first use, then kept): the same layers on fewer rows, each buffer a
     * prefix of this model's, so it holds no activation memory of its own (its rope tables aside: 8 bytes per token
     * row and rotated pair per layer).
     */
    private CausalLm run(PackedBatch packed) {
        if (packed.batch() != batch || packed.seqLen() > seqLen) {
            throw new IllegalArgumentException("model: batch is [B=" + packed.batch() + ", T=" + packed.seqLen()
                    + "] but the buffers were sized for [B=" + batch + ", T up to " + seqLen + "]");
        }
        CausalLm model = packed.seqLen() == seqLen
                ? this
                : shorterRows.computeIfAbsent(packed.seqLen(), t -> new CausalLm(this, t));
        if (lastRun != null && lastRun != model) {
            lastRun.heldForBackward = null; // the other model's forward overwrites what it held
        }
        lastRun = model;
        return model;
    }

    private INDArray hidden(int[] inputIds, PackedBatch packed) {
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
        CausalLm model = run(packed);
        model.heldForBackward = null;
        return model.lmHead.forward(model.hidden(inputIds, packed), targets, globalTokenCount);
    }

    /** Loss, and every parameter gradient ADDED into the flat gradient buffer. */
    public double forwardBackward(int[] inputIds, int[] targets, PackedBatch packed, double globalTokenCount) {
        requireBackward();
        CausalLm model = run(packed);
        model.heldForBackward = null;
        double loss = model.lmHead.forwardBackward(model.hidden(inputIds, packed), targets, globalTokenCount);
        model.backwardFromLmHead(packed);
        return loss;
    }

    /**
     * Each token's log-prob of its pre-shifted target into {@code out} (0 where there is none), for scoring only
     * (the reference log-probs): no backward may follow, and the buffers are free for the next forward.
     */
    public void scoreTokenLogProbs(int[] inputIds, int[] targets, PackedBatch packed, double[] out) {
        CausalLm model = run(packed);
        model.heldForBackward = null;
        model.lmHead.tokenLogProbs(model.hidden(inputIds, packed), targets, out);
    }

    /**
     * Each token's log-prob of its pre-shifted target into {@code out} (0 where there is none): the forward of a
     * preference loss. The activations stay held for {@link #backwardTokenLogProbs} (unless the model is
     * {@link #forwardOnly}).
     */
    public void tokenLogProbs(int[] inputIds, int[] targets, PackedBatch packed, double[] out) {
        CausalLm model = run(packed);
        model.heldForBackward = null; // the forward below overwrites what an earlier one held
        INDArray h = model.hidden(inputIds, packed);
        model.lmHead.tokenLogProbs(h, targets, out);
        if (activations != Activations.FORWARD_ONLY) {
            model.heldForBackward = h;
            model.heldPacked = packed;
            model.heldTargets = targets.clone();
        }
    }

    /**
     * The backward of a loss of the token log-probs from the last {@link #tokenLogProbs} (its tokens and targets; no
     * other forward in between): {@code dLogProb[i]} = dLoss/d(log-prob of token i); every parameter gradient ADDED
     * into the flat gradient buffer.
     */
    public void backwardTokenLogProbs(double[] dLogProb) {
        requireBackward();
        (lastRun == null ? this : lastRun).backwardHeldTokenLogProbs(dLogProb);
    }

    private void backwardHeldTokenLogProbs(double[] dLogProb) {
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
        CausalLm model = run(packed);
        model.heldForBackward = null;
        INDArray h = model.hidden(inputIds, packed);
        INDArray out = Nd4j.create(h.dataType(), model.rows, config.vocabSize());
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
