package dev.sparktune.dl4j.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NativeFloatSumTest {
    /** Lengths around OpenBLAS's single-thread limit, so the split into calls is covered at its edges. */
    @ParameterizedTest
    @ValueSource(
            ints = {
                1,
                7,
                NativeFloatSum.SINGLE_THREAD_MAX - 1,
                NativeFloatSum.SINGLE_THREAD_MAX,
                NativeFloatSum.SINGLE_THREAD_MAX + 1,
                3 * NativeFloatSum.SINGLE_THREAD_MAX + 17
            })
    void addsExactlyLikeJavaFloatAdditionAndTouchesNothingElse(int count) {
        Random random = new Random(count);
        int sumFirst = 5;
        int addFirst = 3;
        float[] sum = new float[sumFirst + count + 4];
        float[] add = new float[addFirst + count + 2];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = (float) random.nextGaussian() * 1e3f;
        }
        for (int i = 0; i < add.length; i++) {
            add[i] = (float) random.nextGaussian() * 1e-3f;
        }
        float[] expected = sum.clone();
        for (int i = 0; i < count; i++) {
            expected[sumFirst + i] = sum[sumFirst + i] + add[addFirst + i];
        }
        try (FloatPointer sumP = new FloatPointer(sum);
                FloatPointer addP = new FloatPointer(add)) {
            addP.position(1); // positions are ignored: element indices count from the address
            NativeFloatSum.addInto(sumP, sumFirst, addP, addFirst, count);
            float[] got = new float[sum.length];
            sumP.position(0).get(got);
            for (int i = 0; i < got.length; i++) {
                assertEquals(
                        Float.floatToIntBits(expected[i]),
                        Float.floatToIntBits(got[i]),
                        "element " + i + " of " + got.length + " (count " + count + ")");
            }
            float[] addAfter = new float[add.length];
            addP.position(0).get(addAfter);
            for (int i = 0; i < add.length; i++) {
                assertEquals(Float.floatToIntBits(add[i]), Float.floatToIntBits(addAfter[i]), "add changed at " + i);
            }
        }
    }
}
