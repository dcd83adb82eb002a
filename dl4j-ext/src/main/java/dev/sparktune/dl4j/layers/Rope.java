package dev.sparktune.dl4j.layers;

import dev.sparktune.dl4j.model.RopeConfig;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Rotary position embedding in HF's rotate-half form on [N, H·D] (N = B·T token rows, H heads of D):
 * for i &lt; D/2, with θ = position · invFreq[i],
 * {@code y[i] = x[i]·cos θ − x[i+D/2]·sin θ}, {@code y[i+D/2] = x[i+D/2]·cos θ + x[i]·sin θ}.
 * The backward is the transposed rotation. No parameters.
 *
 * <p>With a partial rotary factor (Phi-4-mini) only the first {@code rotaryDim} dims of each head rotate, with
 * {@code rotaryDim / 2} in place of D/2 above, and the rest pass through. Longrope picks its short or long
 * frequencies per document from the largest position in it, and scales cos and sin by its attention factor.
 */
public final class Rope {
    private final RopeConfig config;
    private final int headDim;
    private final int half; // rotaryDim / 2
    private final float scaling; // cos and sin are multiplied by it (longrope's attention factor)
    private final float[] shortFreq; // [rotaryDim / 2] inverse frequencies within the pre-training length
    private final float[] longFreq; // past it (longrope's long factors); the same as shortFreq otherwise
    private final int rows;
    private final float[] cos; // [N, D/2]
    private final float[] sin; // [N, D/2]
    private int[] tablePositions; // positions the tables hold (every layer of a step sees the same batch)
    private int[][] tableBlocks; // and the documents they hold

    public Rope(RopeConfig config, int headDim, int rows) {
        this.config = config;
        this.headDim = headDim;
        this.half = config.rotaryDim(headDim) / 2;
        this.scaling = (float) config.attentionFactor();
        this.shortFreq = config.inverseFrequencies(headDim, 1);
        this.longFreq = config.inverseFrequencies(headDim, Integer.MAX_VALUE);
        this.rows = rows;
        this.cos = new float[rows * half];
        this.sin = new float[rows * half];
    }

    /**
     * Fills the cos/sin tables for {@code batch}'s positions (fp32 angle, as transformers computes it). Longrope's
     * choice is made per document, from the document's own largest position, as transformers makes it for a forward
     * of that document alone: so a document's result does not depend on what it is packed or batched with (nor on
     * the world size).
     */
    public void setPositions(PackedBatch batch) {
        if (batch.rows() != rows) {
            throw new IllegalArgumentException(
                    "rope: batch has " + batch.rows() + " token rows but the tables were" + " sized for " + rows);
        }
        int[][] blocks = batch.docLens();
        if (tablePositions != null
                && Arrays.equals(tablePositions, batch.positionsUnsafe())
                && Arrays.deepEquals(tableBlocks, blocks)) {
            return;
        }
        tablePositions = batch.positionIds();
        tableBlocks = blocks;
        int seqLen = batch.seqLen();
        for (int b = 0; b < blocks.length; b++) {
            int start = b * seqLen;
            for (int len : blocks[b]) {
                int maxPosition = 0;
                for (int r = start; r < start + len; r++) {
                    maxPosition = Math.max(maxPosition, batch.position(r));
                }
                float[] invFreq = config.usesLongFactors(maxPosition + 1) ? longFreq : shortFreq;
                for (int r = start; r < start + len; r++) {
                    float p = batch.position(r);
                    for (int i = 0; i < half; i++) {
                        float angle = invFreq[i] * p;
                        cos[r * half + i] = (float) Math.cos(angle) * scaling;
                        sin[r * half + i] = (float) Math.sin(angle) * scaling;
                    }
                }
                start += len;
            }
        }
    }

    /** dst = rotate(src); both [N, H·D] whole arrays; dst may be src. */
    public void forward(INDArray src, INDArray dst) {
        apply(src, dst, 1f);
    }

    /** dSrc = rotateᵀ(dDst), i.e. rotation by −θ; dSrc may be dDst. */
    public void backward(INDArray dDst, INDArray dSrc) {
        apply(dDst, dSrc, -1f);
    }

    private void apply(INDArray src, INDArray dst, float sign) {
        long width = src.size(1);
        if (src.size(0) != rows || width % headDim != 0 || !Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("rope: expected [" + rows + ", H*" + headDim + "] arrays, got "
                    + Arrays.toString(src.shape()) + " and " + Arrays.toString(dst.shape()));
        }
        FloatBuffer s = Shapes.floats(src);
        FloatBuffer d = Shapes.floats(dst);
        int heads = (int) (width / headDim);
        for (int r = 0; r < rows; r++) {
            int tab = r * half;
            for (int h = 0; h < heads; h++) {
                int base = (int) (r * width) + h * headDim;
                for (int i = 0; i < half; i++) {
                    float c = cos[tab + i];
                    float sn = sign * sin[tab + i];
                    float x1 = s.get(base + i);
                    float x2 = s.get(base + i + half);
                    d.put(base + i, x1 * c - x2 * sn);
                    d.put(base + i + half, x2 * c + x1 * sn);
                }
                for (int i = 2 * half; i < headDim; i++) {
                    d.put(base + i, s.get(base + i)); // the dims past rotaryDim pass through
                }
            }
        }
    }
}
