package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.collective.Collective;
import dev.sparktune.dl4j.collective.FlatShards;
import dev.sparktune.dl4j.layers.LayerHooks;
import dev.sparktune.dl4j.layers.LayerParams;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelWeights;
import dev.sparktune.dl4j.params.ParamLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The parameters of a model whose decoder layers are split over ranks (full_shard). Each decoder layer is one FSDP
 * unit whose flat parameters are split evenly over ranks ({@link FlatShards} of the layer's length): a rank stores,
 * for every layer, only its shard. All decoder layers are views of ONE shared slot (one layer's worth) that
 * {@link #gather} fills from every rank's shard. The root unit (embedding, final norm, lm_head) is needed for the
 * whole step and stays whole on every rank. Whether and how the parameters are trained is the owner's business
 * ({@link FullyShardedState}: all of them; {@link ReplicatedTrainableState} with LoRA: none, the adapters are).
 */
final class ShardedLayers {
    final ModelConfig config;
    final ParamLayout fullLayout;
    final ParamLayout rootLayout;
    final ParamLayout slotLayout; // one layer, names relative to the layer
    private final long[] layerStart; // offset of layer l in the full layout
    private final long layerLength;
    private final FlatShards layerShards; // of one layer, over ranks
    private final long shardStart; // this rank's shard inside a layer
    private final long shardSize;
    private final DataType storage; // of the root and the shards
    final INDArray rootParams;
    final INDArray slotParams;
    final INDArray shardParams; // [layers × shardSize], layer by layer; null when shardSize = 0
    private final ParamLayout[] namedSlots; // the slot's entries under layer l's full names
    private final INDArray[] paramShards; // layer l's piece of shardParams
    private final INDArray slotParamShard; // this rank's part of the slot
    private final Collective collective;
    private int resident = -1; // the layer whose parameters the slot holds

    /** Elements of the root unit: every parameter outside the decoder layers. */
    static long rootLength(ParamLayout full) {
        return full.entries().stream()
                .filter(e -> !e.name().startsWith("model.layers."))
                .mapToLong(ParamLayout.Entry::length)
                .sum();
    }

    /** Elements of one decoder layer (they are all alike). */
    static long layerLength(ParamLayout full) {
        String first = HfParamNames.layerPrefix(0);
        return full.entries().stream()
                .filter(e -> e.name().startsWith(first))
                .mapToLong(ParamLayout.Entry::length)
                .sum();
    }

    /** Reads only this rank's share of {@code base}, all of it in fp32 (every parameter trains). */
    ShardedLayers(ModelWeights base, Collective collective) {
        this(base, collective, DataType.FLOAT);
    }

    /**
     * Reads only this rank's share of {@code base}: the root unit and its shard of each layer, kept in
     * {@code storage} (the checkpoint's bf16 / fp16 when they are frozen, else FLOAT); the slot a layer is gathered
     * into is fp32 whatever the storage, widened exactly.
     */
    ShardedLayers(ModelWeights base, Collective collective, DataType storage) {
        this.collective = collective;
        this.config = base.config();
        this.fullLayout = base.layout();
        int layers = config.numLayers();
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
        this.shardStart = layerShards.start(collective.rank());
        this.shardSize = layerShards.size(collective.rank());
        this.namedSlots = new ParamLayout[layers];
        for (int l = 0; l < layers; l++) {
            ParamLayout.Builder named = ParamLayout.builder();
            for (ParamLayout.Entry e : slotLayout.entries()) {
                named.add(HfParamNames.layerPrefix(l) + e.name(), e.shape());
            }
            namedSlots[l] = named.build();
        }

        this.storage = storage;
        this.rootParams = Nd4j.createUninitialized(storage, rootLayout.totalLength());
        for (ParamLayout.Entry e : rootLayout.entries()) {
            long at = fullLayout.entry(e.name()).offset();
            base.read(at, at + e.length(), rootParams.get(NDArrayIndex.interval(e.offset(), e.offset() + e.length())));
        }
        this.shardParams =
                shardSize > 0 ? Nd4j.createUninitialized(storage, shardLayout().totalLength()) : null;
        this.paramShards = new INDArray[layers];
        for (int l = 0; shardSize > 0 && l < layers; l++) {
            paramShards[l] = shard(shardParams, l);
            base.read(layerStart[l] + shardStart, layerStart[l] + shardStart + shardSize, paramShards[l]);
        }
        checkSameWeights();
        this.slotParams = slotLayout.allocate();
        this.slotParamShard = shardSize > 0 ? slotShard(slotParams) : null;
    }

    /**
     * Ranks read their shares from their own copies of the model: a copy that differs (a half-updated shared mount,
     * another revision on one host) would train a model no rank holds. The replicated root unit must agree exactly.
     */
    private void checkSameWeights() {
        // a CRC of sampled elements' bits: exact, unlike a floating-point sum whose order depends on threads
        CRC32 crc = new CRC32();
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
                int l = HfParamNames.layerIndex(e.name());
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
                ParamLayout.Entry s =
                        i < layout.entries().size() ? layout.entries().get(i) : null;
                if (s == null
                        || !e.name().equals(prefix + s.name())
                        || !Arrays.equals(e.shape(), s.shape())
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
    ParamLayout shardLayout() {
        ParamLayout.Builder b = ParamLayout.builder();
        for (int l = 0; l < layerStart.length; l++) {
            long from = layerStart[l] + shardStart;
            long to = from + shardSize;
            String prefix = HfParamNames.layerPrefix(l);
            for (ParamLayout.Entry s : slotLayout.entries()) {
                ParamLayout.Entry e = fullLayout.entry(prefix + s.name());
                long a = Math.max(from, e.offset());
                long z = Math.min(to, e.offset() + e.length());
                if (a < z) {
                    b.add(e.name(), z - a);
                }
            }
        }
        return b.build();
    }

    int layers() {
        return layerStart.length;
    }

    /** Whether this rank holds a piece of each layer (not when a layer has fewer elements than there are ranks). */
    boolean hasShard() {
        return shardSize > 0;
    }

    /** Where rank {@code rank}'s shard of layer {@code layer} starts in the full layout (checkpoint positions). */
    long shardStartInFull(int rank, int layer) {
        return layerStart[layer] + layerShards.start(rank);
    }

    /** Where rank {@code rank}'s shard of layer {@code layer} ends (exclusive) in the full layout. */
    long shardEndInFull(int rank, int layer) {
        return layerStart[layer] + layerShards.end(rank);
    }

    /** Layer {@code layer}'s piece of a [layers × shardSize] buffer laid out like {@link #shardParams}. */
    INDArray shard(INDArray compact, int layer) {
        return compact.get(NDArrayIndex.interval(layer * shardSize, (layer + 1) * shardSize));
    }

    /** This rank's part of a slot-sized buffer. */
    INDArray slotShard(INDArray slot) {
        return slot.get(NDArrayIndex.interval(shardStart, shardStart + shardSize));
    }

    /** Layer {@code layer} as the model sees it: a view of the slot under the layer's own parameter names. */
    LayerParams layer(int layer, INDArray slotGrads) {
        return new LayerParams(namedSlots[layer], slotParams, slotGrads, HfParamNames.layerPrefix(layer));
    }

    /**
     * Collective. Fills the slot with layer {@code layer}'s parameters from every rank's shard, unless it holds them
     * already (the last layer between its forward and its backward). Every rank takes the same decision: the calls
     * follow the same sequence on all of them.
     */
    void gather(int layer) {
        if (layer == resident) {
            return;
        }
        if (shardSize > 0) {
            slotParamShard.assign(paramShards[layer]);
        }
        collective.allGather(slotParams);
        resident = layer;
    }

    /** Hooks for frozen layers: each layer gathered before its forward and before its backward. */
    LayerHooks gatherBeforeUse() {
        return new LayerHooks() {
            @Override
            public void beforeForward(int layer) {
                gather(layer);
            }

            @Override
            public void beforeBackward(int layer) {
                gather(layer);
            }
        };
    }

    /** The shards changed (an update, a restore): the slot is stale. */
    void invalidate() {
        resident = -1;
    }

    /**
     * Collective. The parameter called {@code name} (full HF name): a root view, or a view of the slot once its
     * layer is gathered, valid until the next gather. Asked in layout order, layer by layer, by every rank (a rank
     * that writes nothing gathers each layer in the same order).
     */
    INDArray gathered(String name) {
        if (rootLayout.contains(name)) {
            return rootLayout.view(rootParams, name);
        }
        int layer = HfParamNames.layerIndex(name);
        gather(layer);
        return namedSlots[layer].view(slotParams, name);
    }

    /** Collective. Every layer gathered in turn into a new full-layout buffer (export and tests: full-model memory). */
    INDArray gatherAll() {
        INDArray full = fullLayout.allocate();
        for (ParamLayout.Entry e : rootLayout.entries()) {
            fullLayout.view(full, e.name()).assign(rootLayout.view(rootParams, e.name()));
        }
        for (int l = 0; l < layerStart.length; l++) {
            gather(l);
            full.get(NDArrayIndex.interval(layerStart[l], layerStart[l] + layerLength))
                    .assign(slotParams);
        }
        return full;
    }

    /** Bytes of parameters this rank holds: the root, the slot and its shard of every layer. */
    long paramBytes() {
        return 4L * layerLength
                + narrowParamBytes()
                + (storage == DataType.FLOAT ? 4L * (rootLayout.totalLength() + layerStart.length * shardSize) : 0);
    }

    /** Of {@link #paramBytes}, those held in a narrow storage dtype (the root and the shards). */
    long narrowParamBytes() {
        return storage == DataType.FLOAT ? 0 : 2L * (rootLayout.totalLength() + layerStart.length * shardSize);
    }

    void close() {
        for (INDArray a : new INDArray[] {rootParams, slotParams, shardParams}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
