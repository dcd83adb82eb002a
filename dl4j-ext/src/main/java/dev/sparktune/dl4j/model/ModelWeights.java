package dev.sparktune.dl4j.model;

import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.params.Views;
import dev.sparktune.dl4j.safetensors.NativeArrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model's parameters in their flat HF layout ({@link HfParamNames}), readable by range: in memory
 * ({@link HfModelDir.Loaded}) or straight from a directory's safetensors files ({@link HfModelDir#open}), so that a
 * rank of a fully sharded run reads only its share of the weights.
 */
public interface ModelWeights {
    ModelConfig config();

    ParamLayout layout();

    /**
     * The type the weights are held in: BFLOAT16 or HALF when every parameter is stored in bf16 or fp16, else FLOAT
     * (fp32, or a mix, which loads as fp32); for loaded weights, their buffer's type.
     */
    DataType storedDataType();

    /**
     * Elements [from, to) of the flat layout into {@code dst} (a contiguous view of to - from elements): FLOAT,
     * BFLOAT16 or HALF, holding the weights' own type or FLOAT (bf16 and fp16 widen exactly); a narrowing request fails
     * with an {@link IllegalArgumentException} naming both types.
     */
    void read(long from, long to, INDArray dst);

    /** All parameters as FLOAT in one new flat buffer (or this, when already loaded so). */
    default HfModelDir.Loaded load() {
        return load(layout(), DataType.FLOAT);
    }

    /**
     * All parameters as FLOAT in one flat buffer laid out as {@code reordered}, a permutation of {@link #layout}
     * (freeze fine-tuning keeps the trained parameters in one contiguous tail: {@link ParamLayout#withLast}); this
     * when it is already that layout.
     */
    default HfModelDir.Loaded load(ParamLayout reordered) {
        return load(reordered, DataType.FLOAT);
    }

    /**
     * All parameters in one flat buffer of {@code dtype} laid out as {@code reordered} (see {@link #load(ParamLayout)}).
     * The buffer is allocated untouched ({@link NativeArrays#uninitialized}) and every element is then written once
     * by {@link #read}, so nothing is zeroed or copied on the way.
     *
     * @param dtype FLOAT, or the weights' own BFLOAT16 / HALF ({@link #storedDataType})
     */
    default HfModelDir.Loaded load(ParamLayout reordered, DataType dtype) {
        if (!layout().sameParameters(reordered)) {
            throw new IllegalArgumentException(
                    "the layout to load into must hold this model's parameters, in any " + "order");
        }
        INDArray params = NativeArrays.uninitialized(dtype, reordered.totalLength());
        for (ParamLayout.Entry e : layout().entries()) {
            long at = reordered.entry(e.name()).offset();
            read(e.offset(), e.offset() + e.length(), Views.range(params, at, at + e.length()));
        }
        return new HfModelDir.Loaded(config(), reordered, params);
    }
}
