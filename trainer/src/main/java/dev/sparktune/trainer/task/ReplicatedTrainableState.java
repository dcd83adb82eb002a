package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.Collective;
import dev.sparktune.dl4j.collective.FlatShards;
import dev.sparktune.dl4j.layers.AdapterSwitch;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.DropoutKeys;
import dev.sparktune.dl4j.layers.LayerParams;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.optim.AdamW;
import dev.sparktune.dl4j.optim.GradClip;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.params.Views;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import dev.sparktune.trainer.checkpoint.StatePiece;
import dev.sparktune.trainer.checkpoint.StateReader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every rank holds a full copy of the trainable parameters and their gradients (no_shard, shard_grad_op, and lora's
 * full_shard, whose trainable parameters are the adapters); what may be sharded is the optimizer state and, for lora,
 * the frozen base. {@link FullyShardedState} is the other strategy: there the trained parameters themselves are split.
 * <ul>
 *   <li>{@link Sharding#NO_SHARD}: all-reduce the gradients; every rank clips and updates everything.</li>
 *   <li>{@link Sharding#SHARD_GRAD_OP} (and lora's {@link Sharding#FULL_SHARD}): reduce-scatter the gradients; the
 *       global norm is the sum of the shards' squared norms; each rank keeps the AdamW state of its shard only and
 *       updates it; all-gather the parameters.</li>
 * </ul>
 * What is trained is the flat "trainable" buffer: all parameters (full), the freeze selection (the contiguous tail
 * of the base buffer in {@link TrainConfig#baseLayout}; no gradients exist for the rest) or the adapters (lora, base
 * frozen).
 *
 * <p>LoRA with {@link Sharding#FULL_SHARD}: the frozen base is {@link ShardedLayers} (each rank keeps the root and its
 * 1/world_size of every decoder layer; a layer is gathered before its forward and again before its backward, and
 * has no gradients to reduce), while the adapters are trained as in shard_grad_op. Forward and backward are then
 * collective, as in {@link FullyShardedState}.
 */
final class ReplicatedTrainableState implements TrainingState {
    private final TrainConfig config;
    private final Collective collective;
    private final ModelConfig modelConfig;
    private final BaseWeights base;
    private final ParamLayout baseLayout;
    private final INDArray baseParams; // the whole model, [P]; null when the base is sharded
    private final LoraAdapters adapters; // null for full fine-tuning
    private final ParamLayout layout; // the trainable layout
    private final INDArray params; // trainable, [N]
    private final INDArray grads; // [N]
    private final FlatShards shards;
    private final AdamW optimizer;
    private final CausalLm model;

    /**
     * @param weights      the base model; loaded in {@link TrainConfig#baseLayout} (copied when it is not already)
     * @param startAdapter a local PEFT adapter directory whose weights start the LoRA adapters, or null for new ones
     */
    ReplicatedTrainableState(
            TrainConfig config,
            ModelWeights weights,
            int microBatchRows,
            int seqLen,
            Collective collective,
            Path startAdapter) {
        this.config = config;
        this.collective = collective;
        this.modelConfig = weights.config();
        boolean shardBase = config.parallelism().sharding() == Sharding.FULL_SHARD;
        if (shardBase && config.finetuning().type() != FinetuningType.LORA) {
            throw new IllegalArgumentException(
                    "a sharded frozen base is for lora; full fine-tuning with full_shard is " + "FullyShardedState's");
        }
        DataType storage = config.baseDataType(weights.storedDataType());
        if (shardBase) {
            this.base = new BaseWeights.Sharded(new ShardedLayers(weights, collective, storage));
            this.baseParams = null;
        } else {
            HfModelDir.Loaded loaded = weights.load(config.baseLayout(modelConfig), storage);
            this.base = new BaseWeights.Whole(loaded.layout(), loaded.params());
            this.baseParams = loaded.params();
        }
        this.baseLayout = base.layout();
        LayerParams root;
        Projection.Factory projections = Projection.Factory.PLAIN;
        if (config.finetuning().type() == FinetuningType.FREEZE) {
            this.adapters = null;
            this.layout = config.trainableLayout(modelConfig);
            this.grads = layout.allocate();
            if (storage == DataType.FLOAT) {
                // the trained parameters are the contiguous tail of the base buffer
                long frozen = baseLayout.totalLength() - layout.totalLength();
                this.params = Views.range(baseParams, frozen, baseLayout.totalLength());
                root = new LayerParams(baseLayout, baseParams, layout, grads, "");
            } else {
                // the base stays in the checkpoint's dtype; the trained parameters train in fp32 beside it
                this.params = layout.allocate();
                for (ParamLayout.Entry e : layout.entries()) {
                    long at = weights.layout().entry(e.name()).offset();
                    weights.read(
                            at, at + e.length(), layout.view(params, e.name()).reshape(e.length()));
                }
                root = new LayerParams(baseLayout, baseParams, layout, grads, params, "");
            }
        } else if (config.finetuning().type() == FinetuningType.LORA) {
            this.adapters = new LoraAdapters(modelConfig, config.finetuning().lora(), config.seed());
            this.layout = adapters.layout();
            this.params = startAdapter == null ? adapters.init(config.seed()) : adapters.load(startAdapter);
            this.grads = layout.allocate();
            root = base.frozenRoot();
            projections = adapters.projections(params, grads);
        } else {
            this.adapters = null;
            this.layout = baseLayout;
            this.params = baseParams;
            this.grads = layout.allocate();
            root = new LayerParams(baseLayout, baseParams, grads, "");
        }
        this.model = base.model(modelConfig, root, projections, config, microBatchRows, seqLen);
        // Rank 0's copy is the truth: any difference in how ranks loaded or initialised is erased before step 0.
        collective.broadcast(params, 0);
        this.shards = collective.shards(layout.totalLength());
        // shard_grad_op: each rank steps its shard of the AdamW state; no_shard: every rank steps all of it
        boolean sharded = config.parallelism().sharding() != Sharding.NO_SHARD;
        this.optimizer = new AdamW(
                layout,
                config.optimizer().adamW(),
                AdamW.decayMatrices(),
                config.finetuning().lrScale(),
                sharded ? shards.start(collective.rank()) : 0,
                sharded ? shards.end(collective.rank()) : layout.totalLength());
    }

    @Override
    public CausalLm model() {
        return model;
    }

    @Override
    public AdapterSwitch adapterSwitch() {
        return adapters == null ? null : adapters.adapterSwitch();
    }

    @Override
    public void zeroGrads() {
        grads.assign(0);
    }

    @Override
    public void beforeMicroBatch(int step, long[] rowIds, int batchRows) {
        if (adapters == null || config.finetuning().lora().dropout() == 0) {
            return;
        }
        long[] keys = new long[batchRows];
        for (int b = 0; b < batchRows; b++) {
            keys[b] = DropoutKeys.of(step, b < rowIds.length ? rowIds[b] : -1 - b);
        }
        adapters.dropoutKeys().set(keys);
    }

    @Override
    public double synchroniseAndUpdate(int step, double loss, double lr) {
        double norm;
        if (config.parallelism().sharding() != Sharding.NO_SHARD) {
            collective.reduceScatter(grads);
            int r = collective.rank();
            INDArray shard = shards.size(r) == 0 ? null : Views.range(grads, shards.start(r), shards.end(r));
            double local = shard == null ? 0 : Math.pow(shard.norm2Number().doubleValue(), 2);
            norm = Math.sqrt(collective.allReduceSum(local)[0]);
            TrainingState.checkFinite(step, loss, norm);
            if (config.optimizer().maxGradNorm() > 0 && shard != null) {
                GradClip.scale(shard, norm, config.optimizer().maxGradNorm());
            }
            optimizer.step(params, grads, lr);
            collective.allGather(params);
        } else {
            collective.allReduce(grads);
            norm = GradClip.norm(grads);
            TrainingState.checkFinite(step, loss, norm);
            if (config.optimizer().maxGradNorm() > 0) {
                GradClip.scale(grads, norm, config.optimizer().maxGradNorm());
            }
            optimizer.step(params, grads, lr);
        }
        return norm;
    }

    @Override
    public long trainableLength() {
        return layout.totalLength();
    }

    /** The world-size split of the flat buffer (when sharded, exactly the optimizer shard this rank owns). */
    @Override
    public List<StatePiece> checkpointPieces() {
        int r = collective.rank();
        long a = shards.start(r);
        long b = shards.end(r);
        if (a == b) {
            return List.of();
        }
        long o = optimizer.start();
        return List.of(new StatePiece(
                a,
                Views.range(params, a, b),
                Views.range(optimizer.firstMoment(), a - o, b - o),
                Views.range(optimizer.secondMoment(), a - o, b - o)));
    }

    @Override
    public List<CheckpointManifest.Range> checkpointRanges(int rank) {
        return shards.size(rank) == 0
                ? List.of()
                : List.of(new CheckpointManifest.Range(shards.start(rank), shards.end(rank)));
    }

    @Override
    public void restore(StateReader reader) {
        reader.params(0, layout.totalLength(), params);
        long a = optimizer.start();
        long b = optimizer.end();
        if (b > a) {
            reader.firstMoment(a, b, Views.range(optimizer.firstMoment(), 0, b - a));
            reader.secondMoment(a, b, Views.range(optimizer.secondMoment(), 0, b - a));
        }
        optimizer.restoreSteps(reader.manifest().optimizerSteps());
    }

    @Override
    public long optimizerSteps() {
        return optimizer.steps();
    }

    @Override
    public INDArray trainableParams() {
        return params;
    }

    @Override
    public List<Path> save(Path dir, Path tokenizerDir, String baseModelPath) {
        if (dir == null) {
            return List.of();
        }
        if (adapters != null) {
            return adapters.save(dir, params, baseModelPath);
        }
        if (baseParams.dataType() != DataType.FLOAT) {
            // freeze of a bf16 / fp16 checkpoint: frozen weights as stored, the trained ones from the fp32 buffer
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            for (ParamLayout.Entry e : HfParamNames.layout(modelConfig).entries()) {
                tensors.put(
                        e.name(),
                        layout.contains(e.name())
                                ? layout.view(params, e.name())
                                : baseLayout.view(baseParams, e.name()));
            }
            return HfModelDir.save(dir, modelConfig, tensors, tokenizerDir, 2L << 30);
        }
        return HfModelDir.save(dir, modelConfig, baseLayout, baseParams, tokenizerDir, 2L << 30);
    }

    @Override
    public HeldBytes heldBytes() {
        // adapters, and a narrow base's trained parameters, are a buffer of their own; else a view of the base
        boolean ownBuffer = adapters != null || base.narrowParamBytes() > 0;
        return new HeldBytes(
                base.paramBytes() + (ownBuffer ? 4L * layout.totalLength() : 0),
                base.narrowParamBytes(),
                4L * layout.totalLength(),
                optimizer.stateBytes(),
                model.activationBytes());
    }

    @Override
    public void close() {
        grads.close();
        base.close();
    }
}
