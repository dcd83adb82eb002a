package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LayerHooks;
import dev.sparktune.dl4j.layers.LayerParams;
import dev.sparktune.dl4j.layers.Projection;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.trainer.api.TrainConfig;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The base model's weights as a {@link ReplicatedTrainableState} rank holds them: {@link Whole}, one flat buffer with all of
 * them on every rank, or {@link Sharded} (LoRA with full_shard: the root whole, each decoder layer split over ranks
 * and gathered into one slot before the layer's forward and backward, by the model's hooks).
 */
sealed interface BaseWeights extends AutoCloseable {
    /** The whole model's layout (also when this rank holds only part of it). */
    ParamLayout layout();

    /** The root parameters (embedding, final norm, lm_head) with no gradients: the base is frozen (LoRA). */
    LayerParams frozenRoot();

    /** The model over {@code root}, its decoder layers read from this base. */
    default CausalLm model(
            ModelConfig config,
            LayerParams root,
            Projection.Factory projections,
            TrainConfig train,
            int microBatchRows,
            int seqLen) {
        return new CausalLm(
                config,
                root,
                decoderLayers(),
                microBatchRows,
                seqLen,
                train.activations().lossChunkTokens(),
                projections,
                layerHooks(),
                train.activations().gradientCheckpointing());
    }

    /** Where the model reads decoder layer l's parameters; null: from {@code root}'s buffer, which holds them all. */
    IntFunction<LayerParams> decoderLayers();

    /** What the model does around each decoder layer's forward and backward. */
    LayerHooks layerHooks();

    /** Bytes of base parameters this rank holds. */
    long paramBytes();

    /** Of {@link #paramBytes}, those kept in the checkpoint's bf16 / fp16. */
    long narrowParamBytes();

    @Override
    void close();

    /** @param params the whole model in {@code layout}: FLOAT, or the checkpoint's bf16 / fp16 when frozen */
    record Whole(ParamLayout layout, INDArray params) implements BaseWeights {
        @Override
        public LayerParams frozenRoot() {
            return new LayerParams(layout, params, null, "");
        }

        @Override
        public IntFunction<LayerParams> decoderLayers() {
            return null;
        }

        @Override
        public LayerHooks layerHooks() {
            return LayerHooks.NONE;
        }

        @Override
        public long paramBytes() {
            return (long) params.dataType().width() * layout.totalLength();
        }

        @Override
        public long narrowParamBytes() {
            return params.dataType() == DataType.FLOAT ? 0 : paramBytes();
        }

        @Override
        public void close() {
            // left to ND4J's deallocator: full fine-tuning trains this very buffer and freeze a view of it
        }
    }

    record Sharded(ShardedLayers layers) implements BaseWeights {
        @Override
        public ParamLayout layout() {
            return layers.fullLayout;
        }

        @Override
        public LayerParams frozenRoot() {
            return new LayerParams(layers.rootLayout, layers.rootParams, null, "");
        }

        /** Each decoder layer from the slot it is gathered into, with no gradients: the base is frozen. */
        @Override
        public IntFunction<LayerParams> decoderLayers() {
            return l -> layers.layer(l, null);
        }

        @Override
        public LayerHooks layerHooks() {
            return layers.gatherBeforeUse();
        }

        @Override
        public long paramBytes() {
            return layers.paramBytes();
        }

        @Override
        public long narrowParamBytes() {
            return layers.narrowParamBytes();
        }

        @Override
        public void close() {
            layers.close();
        }
    }
}
