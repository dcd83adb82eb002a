package dev.sparktune.dl4j.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ParamLayoutTest {
    @Test
    void entriesAreConsecutiveAndViewsWriteThrough() {
        ParamLayout layout =
                ParamLayout.builder().add("w", 3, 4).add("b", 3).add("n", 2).build();
        assertEquals(17, layout.totalLength());
        assertEquals(12, layout.entry("b").offset());
        assertEquals(15, layout.entry("n").offset());
        INDArray params = layout.allocate();
        INDArray grads = layout.allocate();
        layout.view(params, "b").assign(2.0);
        layout.view(grads, "w").addi(1.0);
        assertArrayEquals(new long[] {3, 4}, layout.view(params, "w").shape());
        assertEquals(6.0, params.sumNumber().doubleValue(), 0);
        assertEquals(2.0, params.getDouble(12), 0);
        assertEquals(0.0, params.getDouble(15), 0);
        assertEquals(12.0, grads.sumNumber().doubleValue(), 0);
        assertEquals(layout.entries().size(), layout.views(params).size());
    }

    @Test
    void rejectsDuplicatesUnknownNamesAndWrongBuffers() {
        assertThrows(
                IllegalArgumentException.class,
                () -> ParamLayout.builder().add("w", 2).add("w", 2));
        assertThrows(IllegalArgumentException.class, () -> ParamLayout.builder().add("w", 0));
        ParamLayout layout = ParamLayout.builder().add("w", 2).build();
        assertThrows(IllegalArgumentException.class, () -> layout.entry("v"));
        assertThrows(IllegalArgumentException.class, () -> layout.view(Nd4j.zeros(3), "w"));
    }
}
