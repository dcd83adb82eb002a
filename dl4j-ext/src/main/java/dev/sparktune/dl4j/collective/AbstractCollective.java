package dev.sparktune.dl4j.collective;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What every {@link Collective} implementation holds: its rank in the group and the group's size, and the check of
 * the flat buffers every operation takes.
 */
abstract class AbstractCollective implements Collective {
    protected final int rank;
    protected final int worldSize;

    AbstractCollective(int rank, int worldSize) {
        this.rank = rank;
        this.worldSize = worldSize;
    }

    @Override
    public final int rank() {
        return rank;
    }

    @Override
    public final int worldSize() {
        return worldSize;
    }

    /** {@code flat}, once it is a contiguous rank-1 FLOAT buffer, as every operation takes. */
    static INDArray checkFlat(INDArray flat) {
        if (flat.rank() != 1 || flat.dataType() != DataType.FLOAT || flat.elementWiseStride() != 1) {
            throw new IllegalArgumentException("collectives take a contiguous rank-1 FLOAT buffer, got "
                    + flat.dataType() + " of shape " + Arrays.toString(flat.shape()));
        }
        return flat;
    }
}
