package dev.sparktune.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.layers.Gemm;
import dev.sparktune.dl4j.params.Views;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Pins the ND4J 1.0.0-M2.1 behaviours the layer code relies on (views at offsets, gemm into views). */
class Nd4jBehaviourTest {

    @Test
    void reshapedOffsetViewWritesThrough() {
        INDArray flat = Nd4j.zeros(DataType.FLOAT, 20);
        INDArray view = flat.get(NDArrayIndex.interval(4, 10)).reshape('c', 2, 3);
        view.assign(1.0);
        assertEquals(6.0, flat.sumNumber().doubleValue(), 0.0);
        assertEquals(1.0, flat.getDouble(4), 0.0);
        assertEquals(0.0, flat.getDouble(10), 0.0);
        assertTrue(view.isView());
    }

    /**
     * Why {@link dev.sparktune.dl4j.params.Views} exists: get(interval) on a view returns an EMPTY array for some
     * offsets (this case was found among random row ranges). When this fails, ND4J no longer has the bug.
     */
    @Test
    void getOnAViewSometimesReturnsAnEmptyArray() {
        INDArray flat = Nd4j.arange(0, 100_000).castTo(DataType.FLOAT);
        INDArray matrix =
                flat.get(NDArrayIndex.interval(29_197, 29_197 + 601 * 62)).reshape(601, 62);
        assertTrue(
                matrix.get(NDArrayIndex.interval(448, 520), NDArrayIndex.all()).isEmpty());
        INDArray rows = Views.rows(matrix, 448, 520);
        assertEquals(72, rows.rows());
        assertEquals(29_197 + 448 * 62, rows.getFloat(0), 0f);
    }

    @Test
    void gemmIntoOffsetAndStridedViews() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 3, 4);
        INDArray flatW = Nd4j.rand(DataType.FLOAT, 30);
        INDArray w = flatW.get(NDArrayIndex.interval(5, 25)).reshape('c', 5, 4); // [out=5, in=4]
        INDArray outFlat = Nd4j.zeros(DataType.FLOAT, 40);
        INDArray out = outFlat.get(NDArrayIndex.interval(3, 18)).reshape('c', 3, 5);
        Nd4j.gemm(a, w, out, false, true, 1.0, 0.0);
        INDArray expected = a.mmul(w.dup().transpose());
        assertTrue(expected.equalsWithEps(out, 1e-5), "gemm into offset view");
        assertEquals(0.0, outFlat.getDouble(2), 0.0);
        assertEquals(0.0, outFlat.getDouble(18), 0.0);
        // strided source and destination views (a head's columns of a [rows, heads*dim] buffer)
        INDArray big = Nd4j.rand(DataType.FLOAT, 6, 8);
        INDArray cols = big.get(NDArrayIndex.interval(1, 4), NDArrayIndex.interval(2, 6)); // [3, 4]
        INDArray dst = Nd4j.zeros(DataType.FLOAT, 6, 10);
        INDArray dstView = dst.get(NDArrayIndex.interval(2, 5), NDArrayIndex.interval(5, 10)); // [3, 5]
        // M2.1: Nd4j.gemm refuses any C whose element-wise stride is not 1; Gemm.into goes to the Mmul op directly
        Assertions.assertThrows(
                IllegalArgumentException.class, () -> Nd4j.gemm(cols, w, dstView, false, true, 1.0, 0.0));
        Gemm.into(cols, w, dstView, false, true, 1.0, 0.0);
        INDArray exp2 = cols.dup().mmul(w.dup().transpose());
        assertTrue(exp2.equalsWithEps(dstView, 1e-5), "gemm strided: " + exp2 + " vs " + dstView);
        assertEquals(0.0, dst.sumNumber().doubleValue() - dstView.sumNumber().doubleValue(), 1e-5);
        // beta != 0 into a strided C failed once here and passed on rerun: Gemm.into refuses it, the layers never do it
        Assertions.assertThrows(
                IllegalArgumentException.class, () -> Gemm.into(cols, w, dstView, false, true, 1.0, 1.0));
        // beta=1 with transposed A into an offset (contiguous) view accumulates correctly
        INDArray tA = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray before = out.dup();
        Gemm.into(tA, w, out, true, true, 0.5, 1.0);
        assertTrue(before.add(tA.transpose().mmul(w.transpose()).mul(0.5)).equalsWithEps(out, 1e-5), "transA beta=1");
    }

    @Test
    void nioFloatBufferOfAWholeArrayIsTheNativeMemory() {
        INDArray a = Nd4j.zeros(DataType.FLOAT, 3, 4);
        FloatBuffer fb = a.data().asNioFloat();
        assertEquals(12, fb.capacity());
        fb.put(5, 7f);
        assertEquals(7f, a.getFloat(1, 1), 0f);
        a.putScalar(2, 3, 9f);
        assertEquals(9f, fb.get(11), 0f);
        INDArray r = a.reshape(12);
        assertEquals(7f, r.data().asNioFloat().get(5), 0f);
    }

    @Test
    void aContiguousViewsDataBufferStartsAtItsFirstElement() {
        // AdamW's fused step reads views (a freeze run's trained tail of the parameter buffer) through this address
        INDArray a = Nd4j.linspace(0, 99, 100, DataType.FLOAT);
        INDArray tail = a.get(NDArrayIndex.interval(30, 80));
        INDArray tailOfTail = tail.get(NDArrayIndex.interval(10, 40));
        INDArray rows = a.reshape(10, 10)
                .get(NDArrayIndex.interval(2, 5), NDArrayIndex.all())
                .reshape(30);
        long base = a.data().addressPointer().address();
        for (INDArray v : new INDArray[] {tail, tailOfTail, rows}) {
            assertEquals(v.offset(), v.data().offset());
            assertEquals(v.length(), v.data().length());
            assertEquals(4 * v.offset(), v.data().addressPointer().address() - base);
            assertEquals(v.offset(), v.getFloat(0), 0f);
        }
    }

    @Test
    void sumAlongRowsIntoPreallocatedColumn() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray col = Nd4j.zeros(DataType.FLOAT, 4, 1);
        x.sum(col.reshape(4), 1);
        assertTrue(x.sum(1).reshape(4, 1).equalsWithEps(col, 1e-6));
    }
}
