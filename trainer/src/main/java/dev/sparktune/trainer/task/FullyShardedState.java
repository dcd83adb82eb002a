package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.Collective;
import dev.sparktune.dl4j.collective.FlatShards;
import dev.sparktune.dl4j.layers.AdapterSwitch;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LayerHooks;
import dev.sparktune.dl4j.layers.LayerParams;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.optim.AdamW;
import dev.sparktune.dl4j.optim.GradClip;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import dev.sparktune.trainer.checkpoint.StatePiece;
import dev.sparktune.trainer.checkpoint.StateReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * full_shard (ZeRO-3), full fine-tuning. The parameters are {@link ShardedLayers}: the decoder layers split over
 * ranks and gathered into one shared slot before each layer's forward and again before its backward. Gradients and
 * AdamW moments follow the same split: right after a layer's backward its slot gradients are reduce-scattered and
 * added to the rank's shard. The root unit (embedding, final norm, lm_head) is whole on every rank, its state sharded
 * as in shard_grad_op: its gradients are reduce-scattered, each rank keeps the AdamW moments of its 1/world_size of
 * the root and updates that part, and the root parameters are all-gathered after the update. Memory per rank:
 * 2 × root + 2 slots + 2 × (root / world size) + 4 × (layer parameters / world size) per layer.
 *
 * <p>The model's forward and backward are collective here (each layer's gather): every rank must run them, the same
 * number of times, also for evaluation. Positions in checkpoints are those of the full HF layout, so a full_shard
 * checkpoint resumes under any sharding and world size, and the other way round.
 */
final class FullyShardedState implements TrainingState, LayerHooks {
    private final TrainConfig config;
    private final Collective collective;
    private final ShardedLayers layers;
    private final INDArray rootGrads;
    private final INDArray slotGrads;
    private final INDArray shardGrads; // like layers.shardParams; null when this rank's shard is empty
    private final AdamW rootOptimizer; // this rank's part of the root: [rootStart, rootEnd) of rootLayout
    private final long rootStart;
    private final long rootEnd;
    private final FlatShards rootShards;
    private final AdamW shardOptimizer; // null when this rank's shard is empty
    private final CausalLm model;
    private final INDArray[] gradShards; // layer l's piece of shardGrads
    private final INDArray slotGradShard; // this rank's part of the slot gradients

    FullyShardedState(TrainConfig config, ModelWeights base, int microBatchRows, int seqLen, Collective collective) {
        this.config = config;
        this.collective = collective;
        this.layers = new ShardedLayers(base, collective);
        ParamLayout fullLayout = layers.fullLayout;
        ParamLayout rootLayout = layers.rootLayout;
        boolean hasShard = layers.hasShard();
        this.rootGrads = rootLayout.allocate();
        this.slotGrads = layers.slotLayout.allocate();
        Predicate<ParamLayout.Entry> decays = e -> fullLayout.entry(e.name()).shape().length >= 2;
        this.rootShards = collective.shards(rootLayout.totalLength());
        this.rootStart = rootShards.start(collective.rank());
        this.rootEnd = rootShards.end(collective.rank());
        this.rootOptimizer =
                new AdamW(rootLayout, config.optimizer().adamW(), decays, AdamW.sameLr(), rootStart, rootEnd);
        ParamLayout shardLayout = hasShard ? layers.shardLayout() : null;
        this.shardGrads = hasShard ? shardLayout.allocate() : null;
        this.shardOptimizer =
                hasShard ? new AdamW(shardLayout, config.optimizer().adamW(), decays) : null;
        this.gradShards = new INDArray[layers.layers()];
        for (int l = 0; hasShard && l < layers.layers(); l++) {
            gradShards[l] = layers.shard(shardGrads, l);
        }
        this.slotGradShard = hasShard ? layers.slotShard(slotGrads) : null;
        this.model = new CausalLm(
                layers.config,
                new LayerParams(rootLayout, layers.rootParams, rootGrads, ""),
                l -> layers.layer(l, slotGrads),
                microBatchRows,
                seqLen,
                config.activations().lossChunkTokens(),
                Projection.Factory.PLAIN,
                this,
                config.activations().gradientCheckpointing());
    }

    @Override
    public void beforeForward(int layer) {
        layers.gather(layer);
    }

    @Override
    public void beforeBackward(int layer) {
        layers.gather(layer);
        slotGrads.assign(0);
    }

    @Override
    public void afterBackward(int layer) {
        collective.reduceScatter(slotGrads);
        if (slotGradShard != null) {
            gradShards[layer].addi(slotGradShard);
        }
    }

    @Override
    public CausalLm model() {
        return model;
    }

    /** Full fine-tuning has no adapters. */
    @Override
    public AdapterSwitch adapterSwitch() {
        return null;
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
        double squares =
                (rootShard == null ? 0 : Math.pow(rootShard.norm2Number().doubleValue(), 2))
                        + (shardGrads == null ? 0 : Math.pow(GradClip.norm(shardGrads), 2));
        double norm = Math.sqrt(collective.allReduceSum(squares)[0]);
        TrainingState.checkFinite(step, loss, norm);
        if (config.optimizer().maxGradNorm() > 0) {
            if (rootShard != null) {
                GradClip.scale(rootShard, norm, config.optimizer().maxGradNorm());
            }
            if (shardGrads != null) {
                GradClip.scale(shardGrads, norm, config.optimizer().maxGradNorm());
            }
        }
        rootOptimizer.step(layers.rootParams, rootGrads, lr);
        collective.allGather(layers.rootParams);
        if (shardOptimizer != null) {
            shardOptimizer.step(layers.shardParams, shardGrads, lr);
        }
        layers.invalidate();
        return norm;
    }

    /**
     * A piece of [from, to) of the root layout that lies in one root parameter: where it starts in the root buffer,
     * where in the full layout (checkpoint positions), and its length.
     */
    private record RootPiece(long rootAt, long fullAt, long length) {}

    private List<RootPiece> rootPieces(long from, long to) {
        List<RootPiece> pieces = new ArrayList<>();
        for (ParamLayout.Entry e : layers.rootLayout.entries()) {
            long a = Math.max(from, e.offset());
            long z = Math.min(to, e.offset() + e.length());
            if (a < z) {
                pieces.add(new RootPiece(a, layers.fullLayout.entry(e.name()).offset() + a - e.offset(), z - a));
            }
        }
        return pieces;
    }

    @Override
    public long trainableLength() {
        return layers.fullLayout.totalLength();
    }

    @Override
    public List<StatePiece> checkpointPieces() {
        List<StatePiece> pieces = new ArrayList<>();
        for (RootPiece p : rootPieces(rootStart, rootEnd)) {
            long m = p.rootAt() - rootStart;
            pieces.add(new StatePiece(
                    p.fullAt(),
                    layers.rootParams.get(NDArrayIndex.interval(p.rootAt(), p.rootAt() + p.length())),
                    rootOptimizer.firstMoment().get(NDArrayIndex.interval(m, m + p.length())),
                    rootOptimizer.secondMoment().get(NDArrayIndex.interval(m, m + p.length()))));
        }
        for (int l = 0; shardOptimizer != null && l < layers.layers(); l++) {
            pieces.add(new StatePiece(
                    layers.shardStartInFull(collective.rank(), l),
                    layers.shard(layers.shardParams, l),
                    layers.shard(shardOptimizer.firstMoment(), l),
                    layers.shard(shardOptimizer.secondMoment(), l)));
        }
        return pieces;
    }

    @Override
    public List<CheckpointManifest.Range> checkpointRanges(int rank) {
        List<CheckpointManifest.Range> ranges = new ArrayList<>();
        for (RootPiece p : rootPieces(rootShards.start(rank), rootShards.end(rank))) {
            ranges.add(new CheckpointManifest.Range(p.fullAt(), p.fullAt() + p.length()));
        }
        for (int l = 0; l < layers.layers(); l++) {
            long a = layers.shardStartInFull(rank, l);
            long b = layers.shardEndInFull(rank, l);
            if (b > a) {
                ranges.add(new CheckpointManifest.Range(a, b));
            }
        }
        return ranges;
    }

    @Override
    public void restore(StateReader reader) {
        for (RootPiece p : rootPieces(0, layers.rootLayout.totalLength())) {
            reader.params(
                    p.fullAt(),
                    p.fullAt() + p.length(),
                    layers.rootParams.get(NDArrayIndex.interval(p.rootAt(), p.rootAt() + p.length())));
        }
        for (RootPiece p : rootPieces(rootStart, rootEnd)) {
            long m = p.rootAt() - rootStart;
            reader.firstMoment(
                    p.fullAt(),
                    p.fullAt() + p.length(),
                    rootOptimizer.firstMoment().get(NDArrayIndex.interval(m, m + p.length())));
            reader.secondMoment(
                    p.fullAt(),
                    p.fullAt() + p.length(),
                    rootOptimizer.secondMoment().get(NDArrayIndex.interval(m, m + p.length())));
        }
        for (int l = 0; shardOptimizer != null && l < layers.layers(); l++) {
            long a = layers.shardStartInFull(collective.rank(), l);
            long b = layers.shardEndInFull(collective.rank(), l);
            reader.params(a, b, layers.shard(layers.shardParams, l));
            reader.firstMoment(a, b, layers.shard(shardOptimizer.firstMoment(), l));
            reader.secondMoment(a, b, layers.shard(shardOptimizer.secondMoment(), l));
        }
        rootOptimizer.restoreSteps(reader.manifest().optimizerSteps());
        if (shardOptimizer != null) {
            shardOptimizer.restoreSteps(reader.manifest().optimizerSteps());
        }
        layers.invalidate();
    }

    @Override
    public long optimizerSteps() {
        return rootOptimizer.steps();
    }

    @Override
    public INDArray trainableParams() {
        return layers.gatherAll();
    }

    /** Every rank gathers each layer in turn; the rank writing ({@code dir} given) writes each as it comes. */
    @Override
    public List<Path> save(Path dir, Path tokenizerDir, String baseModelPath) {
        if (dir == null) {
            for (int l = 0; l < layers.layers(); l++) {
                layers.gather(l);
            }
            return List.of();
        }
        // one gathered layer at a time: assembling the whole fp32 model here would cost a replica's memory on rank 0
        return HfModelDir.save(dir, layers.config, layers::gathered, tokenizerDir, 2L << 30);
    }

    @Override
    public HeldBytes heldBytes() {
        long params = layers.paramBytes();
        return new HeldBytes(
                params,
                params,
                rootOptimizer.stateBytes() + (shardOptimizer == null ? 0 : shardOptimizer.stateBytes()),
                model.activationBytes());
    }

    @Override
    public void close() {
        layers.close();
        for (INDArray a : new INDArray[] {rootGrads, slotGrads, shardGrads}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
