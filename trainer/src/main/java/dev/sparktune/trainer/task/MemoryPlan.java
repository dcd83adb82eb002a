package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.FlatShards;
import dev.sparktune.dl4j.collective.RingOptions;
import dev.sparktune.dl4j.layers.ActivationPlan;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import java.io.Serializable;
import java.util.Locale;
import java.util.function.Predicate;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What one rank will hold, computed from the configuration and the model's config.json before anything is loaded:
 * the figures a launch is checked against its memory budget and that {@code train --dry-run} prints. It restates
 * the allocations of the fsdp strategies ({@link ReplicatedTrainableState}, {@link FullyShardedState}, {@link ShardedLayers})
 * and of the model ({@link ActivationPlan}); {@code MemoryPlanTest} holds it equal to what a built rank reports in
 * every mode. Figures are rank 0's, which owns the largest shards.
 *
 * @param held          the bytes by kind, as the rank will report them ({@link RankTrainer#heldBytes})
 * @param activations   the activation buffers in detail (their total is {@code held.activations()})
 * @param gatheredLayer full_shard: the fp32 slot one gathered decoder layer fills (inside {@code held.params()})
 * @param collective    the ring's transfer buffers (an estimate: a few pieces in flight)
 * @param narrow        the dtype frozen weights are kept in ({@code FLOAT} when none are narrow)
 * @param worldSize     ranks
 */
public record MemoryPlan(
        HeldBytes held, ActivationPlan activations, long gatheredLayer, long collective, DataType narrow, int worldSize)
        implements Serializable {

    /** Bytes one rank needs: what it holds plus the collective's buffers. */
    public long total() {
        return held.total() + collective;
    }

    /**
     * @param stored the dtype the checkpoint's weights are stored in: frozen weights keep a BFLOAT16 / HALF one
     */
    public static MemoryPlan of(
            TrainConfig config, ModelConfig model, DataType stored, int microBatchRows, int seqLen) {
        if (config.parallelism().sharding() == Sharding.AUTO) {
            throw new IllegalArgumentException("fsdp = auto has no plan of its own: MemoryCheck.require resolves it");
        }
        int world = config.parallelism().worldSize();
        ParamLayout full = HfParamNames.layout(model);
        boolean lora = config.finetuning().type() == FinetuningType.LORA;
        boolean fullShard = config.parallelism().sharding() == Sharding.FULL_SHARD;
        DataType narrow = config.baseDataType(stored);
        int narrowBytes = narrow.width();
        long collective = 4L * RingOptions.defaults().pieceBytes();

        if (fullShard) {
            long root = ShardedLayers.rootLength(full);
            long slot = ShardedLayers.layerLength(full);
            long shard = new FlatShards(slot, world).size(0);
            long layers = (long) model.numLayers() * shard;
            if (!lora) { // FullyShardedState: every parameter trains
                long params = 4 * (root + slot + layers);
                long optimizer = 2L * 4 * (new FlatShards(root, world).size(0) + layers);
                ActivationPlan act = activations(config, model, microBatchRows, seqLen, name -> false);
                return new MemoryPlan(
                        new HeldBytes(params, params, optimizer, act.total()),
                        act,
                        4 * slot,
                        collective,
                        DataType.FLOAT,
                        world);
            }
            long adapters =
                    LoraAdapters.layout(model, config.finetuning().lora()).totalLength();
            long frozen = (long) narrowBytes * (root + layers);
            ActivationPlan act = activations(
                    config,
                    model,
                    microBatchRows,
                    seqLen,
                    name -> narrowBytes == 2 && !name.startsWith("model.layers."));
            return new MemoryPlan(
                    new HeldBytes(
                            frozen + 4 * slot + 4 * adapters,
                            narrowBytes == 2 ? frozen : 0,
                            4 * adapters,
                            optimizer(config, adapters),
                            act.total()),
                    act,
                    4 * slot,
                    collective,
                    narrow,
                    world);
        }
        long trainable = config.trainableLayout(model).totalLength();
        long base = full.totalLength();
        long params = switch (config.finetuning().type()) {
            case FULL -> 4 * base;
            case LORA -> (long) narrowBytes * base + 4 * trainable;
            // freeze trains a view of the fp32 base; a narrow base keeps the trained tail in fp32 beside it
            case FREEZE -> narrowBytes == 2 ? 2 * base + 4 * trainable : 4 * base;
        };
        Predicate<String> frozen = config.finetuning().type() == FinetuningType.FULL || narrowBytes == 4
                ? name -> false
                : lora ? name -> true : name -> !config.trainableLayout(model).contains(name);
        ActivationPlan act = activations(config, model, microBatchRows, seqLen, frozen);
        return new MemoryPlan(
                new HeldBytes(
                        params,
                        narrowBytes == 2 ? 2 * base : 0,
                        4 * trainable,
                        optimizer(config, trainable),
                        act.total()),
                act,
                0,
                collective,
                narrow,
                world);
    }

    /** AdamW's two fp32 moments: of everything (no_shard), else of rank 0's share. */
    private static long optimizer(TrainConfig config, long trainable) {
        long mine = config.parallelism().sharding() == Sharding.NO_SHARD
                ? trainable
                : new FlatShards(trainable, config.parallelism().worldSize()).size(0);
        return 2L * 4 * mine;
    }

    private static ActivationPlan activations(
            TrainConfig config, ModelConfig model, int microBatchRows, int seqLen, Predicate<String> narrow) {
        return ActivationPlan.of(
                model,
                microBatchRows,
                seqLen,
                config.activations().lossChunkTokens(),
                config.finetuning().type() == FinetuningType.LORA
                        ? config.finetuning().lora()
                        : null,
                config.activations().gradientCheckpointing(),
                narrow);
    }

    /** The plan as lines for a person: each kind with what it is made of, and the total. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        String narrowNote = held.narrowParams() > 0
                ? " (" + gb(held.narrowParams()) + " frozen in "
                        + narrow.name().toLowerCase(Locale.ROOT) + ", " + gb(held.params() - held.narrowParams())
                        + " fp32" + (gatheredLayer > 0 ? " incl. the gathered layer " + gb(gatheredLayer) : "") + ")"
                : gatheredLayer > 0 ? " (incl. the gathered layer " + gb(gatheredLayer) + ")" : "";
        b.append(String.format(Locale.ROOT, "  parameters   %9s%s%n", gb(held.params()), narrowNote));
        b.append(String.format(Locale.ROOT, "  gradients    %9s%n", gb(held.grads())));
        b.append(String.format(
                Locale.ROOT,
                "  optimizer    %9s  (AdamW moments%s)%n",
                gb(held.optimizerState()),
                worldSize > 1 ? " of this rank's share" : ""));
        ActivationPlan a = activations;
        b.append(String.format(
                Locale.ROOT,
                "  activations  %9s  (kept %s x %d layer%s%s; scratch %s; lm_head/loss "
                        + "chunk and embedding %s%s)%n",
                gb(held.activations()),
                gb(a.keptPerLayer()),
                a.checkpointing() ? 1 : a.layers(),
                a.checkpointing() || a.layers() == 1 ? "" : "s",
                a.checkpointing() ? " + layer inputs " + gb(a.layerInputs()) + " (gradient checkpointing)" : "",
                gb(a.scratch()),
                gb(a.root()),
                a.widening() > 0 ? "; widening " + gb(a.widening()) : ""));
        b.append(String.format(Locale.ROOT, "  collective   %9s%n", gb(collective)));
        b.append(String.format(Locale.ROOT, "  total        %9s per rank", gb(total())));
        return b.toString();
    }

    /** Bytes as GB with two decimals (MB below 0.1 GB). */
    public static String gb(long bytes) {
        return bytes < 100_000_000L
                ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
                : String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
