package dev.sparktune.dl4j.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The element count every layout, view and safetensors header derives from a shape. */
class TensorShapeTest {
    @Test
    void elementsAreTheProductOfTheDimensions() {
        assertEquals(1, TensorShape.elements(new long[0]), "a scalar's empty shape");
        assertEquals(7, TensorShape.elements(new long[] {7}));
        assertEquals(151_936L * 1024, TensorShape.elements(new long[] {151_936, 1024}));
        assertEquals(0, TensorShape.elements(new long[] {3, 0, 5}), "safetensors allows an empty dimension");
    }

    @Test
    void aCountBeyondALongIsRefusedNotWrapped() {
        assertThrows(ArithmeticException.class, () -> TensorShape.elements(new long[] {1L << 32, 1L << 32}));
    }
}
