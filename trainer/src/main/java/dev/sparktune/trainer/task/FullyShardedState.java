package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.Collective;
import dev.sparktune.dl4j.collective.FlatShards;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LayerHooks;
import dev.sparktune.dl4j.layers.LayerParams;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.optim.AdamW;
import dev.sparktune.dl4j.optim.GradClip;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import dev.sparktune.trainer.checkpoint.StatePiece;
import dev.sparktune.trainer.checkpoint.StateReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * full_shard (ZeRO-3), full fine-tuning. Each decoder layer is one FSDP unit whose flat parameters are split evenly
 * over ranks ({@link FlatShards} of the layer's length): a rank stores, for every layer, only its shard of the
 * parameters, of the gradients and of the AdamW moments. All decoder layers are views of ONE shared slot (parameters
 * and gradients, one layer's worth), filled by an all-gather before the layer's forward and again before its
 * backward; right after the layer's backward its slot gradients are reduce-scattered and added to the rank's shard.
 * The root unit (embedding, final norm, lm_head) is needed for the whole step, so its parameters and gradients stay
 * whole on every rank, but its state is sharded as in shard_grad_op: its gradients are reduce-scattered, each rank
 * keeps the AdamW moments of its 1/world_size of the root and updates that part, and the root parameters are
 * all-gathered after the update. Memory per rank: 2 × root + 2 slots + 2 × (root / world size) + 4 × (layer
 * parameters / world size) per layer.
 *
 * <p>The model's forward and backward are collective here (each layer's gather): every rank must run them, the same
 * number of times, also for evaluation. Positions in checkpoints are those of the full HF layout, so a full_shard checkpoint resumes under any sharding
 * and world size, and the other way round.
 */
final class FullyShardedState implements TrainingState, LayerHooks {
    private final TrainConfig config;
    private final Collective collective;
    private final ModelConfig modelConfig;
    private final ParamLayout fullLayout;
    private final ParamLayout rootLayout;
    private final ParamLayout slotLayout;
    private final long[] layerStart;        // offset of layer l in the full layout
    private final long layerLength;
    private final FlatShards layerShards;   // of one layer, over ranks
    private final long shardStart;          // this rank's shard inside a layer
    private final long shardSize;
    private final INDArray rootParams;
    private final INDArray rootGrads;
    private final INDArray slotParams;
    private final INDArray slotGrads;
    private final INDArray shardParams;     // [layers × shardSize], layer by layer; null when shardSize = 0
    private final INDArray shardGrads;
    private final AdamW rootOptimizer;      // this rank's part of the root: [rootStart, rootEnd) of rootLayout
    private final long rootStart;
    private final long rootEnd;
    private final FlatShards rootShards;
    private final AdamW shardOptimizer;     // null when shardSize = 0
    private final CausalLm model;
    // views the hooks use on every layer of every micro-batch, made once
    private final INDArray[] paramShards;   // layer l's piece of shardParams
    private final INDArray[] gradShards;    // layer l's piece of shardGrads
    private final INDArray slotParamShard;  // this rank's part of the slot
    private final INDArray slotGradShard;
    private int resident = -1;              // the layer whose parameters the slot holds

    FullyShardedState(TrainConfig config, ModelWeights base, int microBatchRows, int seqLen,
                      Collective collective) {
        this.config = config;
        this.collective = collective;
        this.modelConfig = base.config();
        this.fullLayout = base.layout();
        int layers = modelConfig.numLayers();

        ParamLayout.Builder root = ParamLayout.builder();
        for (ParamLayout.Entry e : fullLayout.entries()) {
            if (!e.name().startsWith("model.layers.")) {
                root.add(e.name(), e.shape());
            }
        }
        this.rootLayout = root.build();
        this.layerStart = new long[layers];
        this.slotLayout = slotLayout(fullLayout, layers, layerStart);
        this.layerLength = slotLayout.totalLength();
        this.layerShards = collective.shards(layerLength);
        int rank = collective.rank();
        this.shardStart = layerShards.start(rank);
        this.shardSize = layerShards.size(rank);

        // read only this rank's share of the weights: the root unit and its shard of each layer
        this.rootParams = rootLayout.allocate();
        for (ParamLayout.Entry e : rootLayout.entries()) {
            long at = fullLayout.entry(e.name()).offset();
            base.read(at, at + e.length(), rootParams.get(NDArrayIndex.interval(e.offset(), e.offset() + e.length())));
        }
        ParamLayout shardLayout = shardSize > 0 ? shardLayout(fullLayout, layers) : null;
        this.shardParams = shardSize > 0 ? shardLayout.allocate() : null;
        for (int l = 0; shardSize > 0 && l < layers; l++) {
            base.read(layerStart[l] + shardStart, layerStart[l] + shardStart + shardSize, shard(shardParams, l));
        }
        checkSameWeights(collective);
        this.rootGrads = rootLayout.allocate();
        this.slotParams = slotLayout.allocate();
        this.slotGrads = slotLayout.allocate();
        Predicate<ParamLayout.Entry> decays = e -> fullLayout.entry(e.name()).shape().length >= 2;
        this.rootShards = collective.shards(rootLayout.totalLength());
        this.rootStart = rootShards.start(rank);
        this.rootEnd = rootShards.end(rank);
        this.rootOptimizer = AdamW.sharded(rootLayout, config.adamW(), decays, rootStart, rootEnd);
        this.shardGrads = shardSize > 0 ? shardLayout.allocate() : null;
        this.shardOptimizer = shardSize > 0 ? new AdamW(shardLayout, config.adamW(), decays) : null;
        this.paramShards = new INDArray[layers];
        this.gradShards = new INDArray[layers];
        for (int l = 0; shardSize > 0 && l < layers; l++) {
            paramShards[l] = shard(shardParams, l);
            gradShards[l] = shard(shardGrads, l);
        }
        this.slotParamShard = shardSize > 0 ? slotShard(slotParams) : null;
        this.slotGradShard = shardSize > 0 ? slotShard(slotGrads) : null;
        this.model = new CausalLm(modelConfig, new LayerParams(rootLayout, rootParams, rootGrads, ""),
                l -> new LayerParams(slotLayout, slotParams, slotGrads, ""), microBatchRows, seqLen,
                config.lossChunkRows(), Projection.Factory.PLAIN, this, config.gradientCheckpointing());
    }

    /**
     * Ranks read their shares from their own copies of the model: a copy that differs (a half-updated shared mount,
     * another revision on one host) would train a model no rank holds. The replicated root unit must agree exactly.
     */
    private void checkSameWeights(Collective collective) {
        // a CRC of sampled elements' bits: exact, unlike a floating-point sum whose order depends on threads
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        long n = rootParams.length();
        long samples = Math.min(n, 4096);
        for (long i = 0; i < samples; i++) {
            int bits = Float.floatToIntBits(rootParams.getFloat(i * n / samples));
            crc.update(new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits});
        }
        double mine = crc.getValue();
        double all = collective.allReduceSum(mine)[0];
        if (all != mine * collective.worldSize()) {
            throw new IllegalStateException("rank " + collective.rank() + ": the ranks read different base model "
                    + "weights (embedding checksums differ); every executor must see the same model_name_or_path");
        }
    }

    /**
     * One layer's entries with the {@code model.layers.<l>.} prefix removed; every layer must have the same entries
     * in the same order (true of every supported family), contiguous in the full layout.
     */
    private static ParamLayout slotLayout(ParamLayout full, int layers, long[] layerStart) {
        List<List<ParamLayout.Entry>> perLayer = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            perLayer.add(new ArrayList<>());
        }
        for (ParamLayout.Entry e : full.entries()) {
            if (e.name().startsWith("model.layers.")) {
                int l = Integer.parseInt(e.name().substring("model.layers.".length()).split("\\.", 2)[0]);
                perLayer.get(l).add(e);
            }
        }
        ParamLayout.Builder slot = ParamLayout.builder();
        String prefix0 = HfParamNames.layerPrefix(0);
        for (ParamLayout.Entry e : perLayer.get(0)) {
            slot.add(e.name().substring(prefix0.length()), e.shape());
        }
        ParamLayout layout = slot.build();
        for (int l = 0; l < layers; l++) {
            List<ParamLayout.Entry> entries = perLayer.get(l);
            String prefix = HfParamNames.layerPrefix(l);
            layerStart[l] = entries.get(0).offset();
            long next = layerStart[l];
            for (int i = 0; i < entries.size(); i++) {
                ParamLayout.Entry e = entries.get(i);
                ParamLayout.Entry s = i < layout.entries().size() ? layout.entries().get(i) : null;
                if (s == null || !e.name().equals(prefix + s.name()) || !Arrays.equals(e.shape(), s.shape())
                        || e.offset() != next) {
                    throw new IllegalArgumentException("fsdp = full_shard needs decoder layers with identical, "
                            + "contiguous parameters; layer " + l + " differs at " + e.name());
                }
                next += e.length();
            }
            if (entries.size() != layout.entries().size()) {
                throw new IllegalArgumentException("fsdp = full_shard: layer " + l + " has " + entries.size()
                        + " parameters, layer 0 has " + layout.entries().size());
            }
        }
        return layout;
    }

    /**
     * This rank's shard of every layer, concatenated; entries are the pieces of the full layout's parameters the
     * shards cut out (their names keep the full names, so weight decay follows the original shapes).
     */
    private ParamLayout shardLayout(ParamLayout full, int layers) {
        ParamLayout.Builder b = ParamLayout.builder();
        for (int l = 0; l < layers; l++) {
            long from = layerStart[l] + shardStart;
            long to = from + shardSize;
            String prefix = HfParamNames.layerPrefix(l);
            for (ParamLayout.Entry s : slotLayout.entries()) {
                ParamLayout.Entry e = full.entry(prefix + s.name());
                long a = Math.max(from, e.offset());
                long z = Math.min(to, e.offset() + e.length());
                if (a < z) {
                    b.add(e.name(), z - a);
                }
            }
        }
        return b.build();
    }

    private INDArray shard(INDArray compact, int layer) {
        return compact.get(NDArrayIndex.interval(layer * shardSize, (layer + 1) * shardSize));
    }

    private INDArray slotShard(INDArray slot) {
        return slot.get(NDArrayIndex.interval(shardStart, shardStart + shardSize));
    }

    /**
     * Fills the slot with layer {@code layer}'s parameters from every rank's shard, unless it holds them already
     * (the last layer between its forward and its backward). Every rank takes the same decision: the calls follow
     * the same sequence on all of them.
     */
    private void gather(int layer) {
        if (layer == resident) {
            return;
        }
        if (shardSize > 0) {
            slotParamShard.assign(paramShards[layer]);
        }
        collective.allGather(slotParams);
        resident = layer;
    }

    @Override
    public void beforeForward(int layer) {
        gather(layer);
    }

    @Override
    public void beforeBackward(int layer) {
        gather(layer);
        slotGrads.assign(0);
    }

    @Override
    public void afterBackward(int layer) {
        collective.reduceScatter(slotGrads);
        if (shardSize > 0) {
            gradShards[layer].addi(slotGradShard);
        }
    }

    @Override
    public CausalLm model() {
        return model;
    }

    @Override
    public void zeroGrads() {
        rootGrads.assign(0);
        if (shardGrads != null) {
            shardGrads.assign(0);
        }
    }

    @Override
    public double synchroniseAndUpdate(int step, double loss, double lr) {
        collective.reduceScatter(rootGrads);
        INDArray rootShard = rootEnd > rootStart ? rootGrads.get(NDArrayIndex.interval(rootStart, rootEnd)) : null;
        double squares = (rootShard == null ? 0 : Math.pow(rootShard.norm2Number().doubleValue(), 2))
                + (shardGrads == null ? 0 : Math.pow(GradClip.norm(shardGrads), 2));
        double norm = Math.sqrt(collective.allReduceSum(squares)[0]);
        TrainingState.checkFinite(step, loss, norm);
        if (config.maxGradNorm() > 0) {
            if (rootShard != null) {
                GradClip.scale(rootShard, norm, config.maxGradNorm());
            }
            if (shardGrads != null) {
                GradClip.scale(shardGrads, norm, config.maxGradNorm());
            }
        }
        rootOptimizer.step(rootParams, rootGrads, lr);
        collective.allGather(rootParams);
        if (shardOptimizer != null) {
            shardOptimizer.step(shardParams, shardGrads, lr);
        }
        resident = -1;  // the shards changed: the slot is stale
        return norm;
    }

    /**
     * A piece of [from, to) of the root layout that lies in one root parameter: where it starts in the root buffer,
     * where in the full layout (checkpoint positions), and its length.
     */
    private record RootPiece(long rootAt, long fullAt, long length) {
    }

    private List<RootPiece> rootPieces(long from, long to) {
        List<RootPiece> pieces = new ArrayList<>();
        for (ParamLayout.Entry e : rootLayout.entries()) {
            long a = Math.max(from, e.offset());
            long z = Math.min(to, e.offset() + e.length());
            if (a < z) {
                pieces.add(new RootPiece(a, fullLayout.entry(e.name()).offset() + a - e.offset(), z - a));
            }
        }
        return pieces;
    }

    @Override
    public long trainableLength() {
        return fullLayout.totalLength();
    }

    @Override
    public List<StatePiece> checkpointPieces() {
        List<StatePiece> pieces = new ArrayList<>();
        for (RootPiece p : rootPieces(rootStart, rootEnd)) {
            long m = p.rootAt() - rootStart;
            pieces.add(new StatePiece(p.fullAt(), rootParams.get(NDArrayIndex.interval(p.rootAt(), p.rootAt()
                    + p.length())), rootOptimizer.firstMoment().get(NDArrayIndex.interval(m, m + p.length())),
                    rootOptimizer.secondMoment().get(NDArrayIndex.interval(m, m + p.length()))));
        }
        for (int l = 0; shardSize > 0 && l < layerStart.length; l++) {
            pieces.add(new StatePiece(layerStart[l] + shardStart, shard(shardParams, l),
                    shard(shardOptimizer.firstMoment(), l), shard(shardOptimizer.secondMoment(), l)));
        }
        return pieces;
    }

    @Override
    public List<CheckpointManifest.Range> checkpointRanges(int rank) {
        List<CheckpointManifest.Range> ranges = new ArrayList<>();
        for (RootPiece p : rootPieces(rootShards.start(rank), rootShards.end(rank))) {
            ranges.add(new CheckpointManifest.Range(p.fullAt(), p.fullAt() + p.length()));
        }
        for (int l = 0; layerShards.size(rank) > 0 && l < layerStart.length; l++) {
            ranges.add(new CheckpointManifest.Range(layerStart[l] + layerShards.start(rank),
                    layerStart[l] + layerShards.end(rank)));
        }
        return ranges;
    }

    @Override
    public void restore(StateReader reader) {
        for (RootPiece p : rootPieces(0, rootLayout.totalLength())) {
            reader.params(p.fullAt(), p.fullAt() + p.length(), rootParams.get(NDArrayIndex.interval(p.rootAt(),
                    p.rootAt() + p.length())));
        }
        for (RootPiece p : rootPieces(rootStart, rootEnd)) {
            long m = p.rootAt() - rootStart;
            reader.firstMoment(p.fullAt(), p.fullAt() + p.length(),
                    rootOptimizer.firstMoment().get(NDArrayIndex.interval(m, m + p.length())));
            reader.secondMoment(p.fullAt(), p.fullAt() + p.length(),
                    rootOptimizer.secondMoment().get(NDArrayIndex.interval(m, m + p.length())));
        }
        for (int l = 0; shardSize > 0 && l < layerStart.length; l++) {
            long a = layerStart[l] + shardStart;
            reader.params(a, a + shardSize, shard(shardParams, l));
            reader.firstMoment(a, a + shardSize, shard(shardOptimizer.firstMoment(), l));
            reader.secondMoment(a, a + shardSize, shard(shardOptimizer.secondMoment(), l));
        }
        rootOptimizer.restoreSteps(reader.manifest().optimizerSteps());
        if (shardOptimizer != null) {
            shardOptimizer.restoreSteps(reader.manifest().optimizerSteps());
        }
        resident = -1;
    }

    @Override
    public long optimizerSteps() {
        return rootOptimizer.steps();
    }

    /** Gathers every layer in turn into a new full-layout buffer (export and tests only: full-model memory). */
    @Override
    public INDArray trainableParams() {
        INDArray full = fullLayout.allocate();
        for (ParamLayout.Entry e : rootLayout.entries()) {
            fullLayout.view(full, e.name()).assign(rootLayout.view(rootParams, e.name()));
        }
        for (int l = 0; l < layerStart.length; l++) {
            gather(l);
            full.get(NDArrayIndex.interval(layerStart[l], layerStart[l] + layerLength)).assign(slotParams);
        }
        return full;
    }

    /** Every rank gathers each layer in turn; only the rank writing ({@code dir} given) assembles the full model. */
    @Override
    public List<Path> save(Path dir, Path tokenizerDir, String baseModelPath) {
        if (dir == null) {
            for (int l = 0; l < layerStart.length; l++) {
                gather(l);
            }
            return List.of();
        }
        INDArray full = trainableParams();
        try {
            return HfModelDir.save(dir, modelConfig, fullLayout, full, tokenizerDir, 2L << 30);
        } finally {
            full.close();
        }
    }

    @Override
    public HeldBytes heldBytes() {
        long resident = 4L * (rootLayout.totalLength() + layerLength + layerStart.length * shardSize);
        return new HeldBytes(resident, resident, rootOptimizer.stateBytes()
                + (shardOptimizer == null ? 0 : shardOptimizer.stateBytes()), model.activationBytes());
    }

    @Override
    public void close() {
        for (INDArray a : new INDArray[] {rootParams, rootGrads, slotParams, slotGrads, shardParams, shardGrads}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
