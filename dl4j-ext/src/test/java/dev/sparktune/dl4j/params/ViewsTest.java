package dev.sparktune.dl4j.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Ranges, rows and tiles of views (of views) of flat buffers hold the elements they name and write through, in every
 * dtype weights are held in, over random offsets including those where ND4J's own get() returns empty arrays.
 */
class ViewsTest {
    @Test
    void rangesAndRowsOfViewsHoldTheirElements() {
        Random r = new Random(1);
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.BFLOAT16, DataType.HALF}) {
            INDArray flat = Nd4j.arange(0, 200_000).castTo(type); // the same memory layout in each dtype
            INDArray index = Nd4j.arange(0, 200_000).castTo(DataType.FLOAT); // exact positions
            for (int t = 0; t < 2_000; t++) {
                int rows = 2 + r.nextInt(300);
                int cols = 1 + r.nextInt(40);
                int off = r.nextInt(100_000);
                INDArray matrix = Views.reshaped(index, off, rows, cols);
                int from = r.nextInt(rows);
                int to = from + 1 + r.nextInt(rows - from);
                INDArray sub = Views.rows(matrix, from, to);
                assertArrayEquals(new long[] {to - from, cols}, sub.shape());
                assertEquals(off + (long) from * cols, sub.getFloat(0), 0f);
                assertEquals(off + (long) to * cols - 1, sub.getFloat(sub.length() - 1), 0f);
                INDArray narrowSub = Views.rows(Views.reshaped(flat, off, rows, cols), from, to);
                assertEquals(flat.getFloat(off + (long) from * cols), narrowSub.getFloat(0), 0f, type + " rows");
                INDArray range = Views.range(Views.range(index, off, off + rows * cols), from, to);
                assertEquals(off + from, range.getFloat(0), 0f);
                assertEquals(to - from, range.length());
            }
        }
    }

    @Test
    void stridedTilesAndWritesGoThrough() {
        INDArray flat = Nd4j.zeros(DataType.FLOAT, 100);
        INDArray square = flat.get(NDArrayIndex.interval(10, 10 + 49)); // a 7x7 block at an offset
        INDArray tile = Views.strided(square, 2 * 7 + 1, new long[] {3, 4}, new long[] {7, 1});
        tile.assign(1);
        assertEquals(12, flat.sumNumber().doubleValue(), 0);
        assertEquals(1, flat.getFloat(10 + 2 * 7 + 1), 0f);
        assertEquals(1, flat.getFloat(10 + 4 * 7 + 4), 0f);
        assertEquals(0, flat.getFloat(10 + 2 * 7 + 5), 0f);
    }

    @Test
    void outOfBoundsAndNonContiguousAreRefused() {
        INDArray m = Nd4j.zeros(DataType.FLOAT, 4, 5);
        assertThrows(IllegalArgumentException.class, () -> Views.rows(m, 2, 5));
        assertThrows(IllegalArgumentException.class, () -> Views.range(m.reshape(20), 3, 3));
        assertThrows(IllegalArgumentException.class, () -> Views.rows(m.transpose(), 0, 1));
    }
}
