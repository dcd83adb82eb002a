package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Token embedding: {@code out[i] = weight[ids[i]]}, weight [V, C] (a frozen one may be stored in bf16 / fp16: each
 * row read is widened exactly). backward ADDS {@code dOut[i]} into {@code dWeight[ids[i]]} (repeated ids accumulate;
 * never zeroes), except into the padding row when there is one (as transformers' nn.Embedding padding_idx). With a
 * scale (Gemma's sqrt(hidden_size)) the rows are multiplied by it, and so are their gradients.
 */
public final class Embedding {
    private final String name;
    private final INDArray weight; // [V, C]
    private final INDArray dWeight; // [V, C]
    private final int rows;
    private final long vocab;
    private final int paddingIdx; // -1: none
    private final float scale; // 1: none
    private final INDArray output; // [N, C]
    private int[] ids;

    /** {@code paddingIdx}: the row that gets no gradient (transformers' nn.Embedding padding_idx), or -1. */
    public static Embedding of(LayerParams params, String name, int rows, int paddingIdx) {
        return of(params, name, rows, paddingIdx, 1.0f);
    }

    /** With every row multiplied by {@code scale} (an fp32 value, as transformers' Gemma embedding holds it). */
    public static Embedding of(LayerParams params, String name, int rows, int paddingIdx, float scale) {
        return new Embedding(
                params.prefix() + name,
                params.value(name + ".weight"),
                params.gradOrNull(name + ".weight"),
                rows,
                paddingIdx,
                scale);
    }

    public Embedding(String name, INDArray weight, INDArray dWeight, int rows) {
        this(name, weight, dWeight, rows, -1, 1.0f);
    }

    public Embedding(String name, INDArray weight, INDArray dWeight, int rows, int paddingIdx, float scale) {
        this.name = name;
        this.scale = scale;
        this.paddingIdx = paddingIdx;
        this.weight = weight;
        this.dWeight = dWeight;
        this.vocab = weight.size(0);
        if (WeightWidener.isNarrow(weight) && dWeight != null) {
            throw new IllegalArgumentException(name + ": a trained weight must be FLOAT, is " + weight.dataType());
        }
        if (dWeight != null) {
            Shapes.check(name, "weight gradient", dWeight, weight.shape());
        }
        this.rows = rows;
        this.output = Shapes.buffer(rows, weight.size(1));
    }

    /** Whether backward adds into the weight gradient. */
    public boolean trainable() {
        return dWeight != null;
    }

    /** ids [N] → [N, C] (owned buffer). */
    public INDArray forward(int[] tokenIds) {
        if (tokenIds.length != rows) {
            throw new IllegalArgumentException(
                    name + ": got " + tokenIds.length + " token ids but the buffers were" + " sized for " + rows);
        }
        for (int i = 0; i < rows; i++) {
            int id = tokenIds[i];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException(name + ": token id " + id + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + "); does the data match this model's tokenizer?");
            }
            output.getRow(i).assign(weight.getRow(id));
        }
        if (scale != 1.0f) {
            output.muli(scale);
        }
        this.ids = tokenIds.clone();
        return output;
    }

    /** Adds dOut's rows into the gradient rows of their ids. */
    public void backward(INDArray dOut) {
        if (ids == null) {
            throw new IllegalStateException(name + ": backward before forward");
        }
        Shapes.check(name, "output gradient", dOut, output.shape());
        if (dWeight == null) {
            return; // frozen
        }
        for (int i = 0; i < rows; i++) {
            if (ids[i] != paddingIdx) {
                if (scale == 1.0f) {
                    dWeight.getRow(ids[i]).addi(dOut.getRow(i));
                } else {
                    dWeight.getRow(ids[i]).addi(dOut.getRow(i).mul(scale));
                }
            }
        }
    }
}
