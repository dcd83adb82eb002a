package dev.sparktune.dl4j.safetensors;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/** safetensors dtype names and their sizes; only F32, F16 and BF16 convert to fp32. */
public enum TensorDType {
    BOOL(1),
    U8(1),
    I8(1),
    F8_E4M3(1),
    F8_E5M2(1),
    I16(2),
    U16(2),
    F16(2),
    BF16(2),
    I32(4),
    U32(4),
    F32(4),
    F64(8),
    I64(8),
    U64(8);

    private final int bytes;

    TensorDType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloatConvertible() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * The ND4J type holding this dtype's values unchanged: FLOAT, HALF or BFLOAT16 for F32, F16 or BF16.
     *
     * @throws IllegalStateException for the other dtypes, which no weight is stored in
     */
    public DataType nd4j() {
        return switch (this) {
            case F32 -> DataType.FLOAT;
            case F16 -> DataType.HALF;
            case BF16 -> DataType.BFLOAT16;
            default ->
                throw new IllegalStateException(
                        this + " has no ND4J floating-point type; only F32, F16 and" + " BF16 weights can be loaded");
        };
    }

    /**
     * Whether values of type {@code from} become values of type {@code to} without rounding: the same type (a byte
     * copy), or BFLOAT16 / HALF widened to FLOAT (every bf16 and fp16 value is a float).
     */
    public static boolean convertsExactly(DataType from, DataType to) {
        return from == to || to == DataType.FLOAT && (from == DataType.BFLOAT16 || from == DataType.HALF);
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }

    /** The dtype called {@code name} in a safetensors header, or null. */
    public static TensorDType parse(String name) {
        for (TensorDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** Float to IEEE half, round to nearest even (as torch's .half()). */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int absBits = bits & 0x7fffffff;
        if (absBits >= 0x7f800000) { // inf or nan
            return (short) (sign | 0x7c00 | (absBits > 0x7f800000 ? 0x200 : 0));
        }
        if (absBits >= 0x477ff000) { // rounds to >= 65520: overflow to inf
            return (short) (sign | 0x7c00);
        }
        if (absBits < 0x38800000) { // below the smallest normal half: subnormal or zero
            float abs = Float.intBitsToFloat(absBits);
            int m = Math.round(abs * 0x1p24f); // Math.round is half-up; fix ties to even below
            float exact = abs * 0x1p24f;
            if (exact - Math.floor(exact) == 0.5 && (m & 1) == 1) {
                m -= 1;
            }
            return (short) (sign | m);
        }
        int exp = ((absBits >>> 23) - 112) << 10;
        int mant = absBits & 0x7fffff;
        int half = exp | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half += 1;
        }
        return (short) (sign | half);
    }

    /** Float to bfloat16, round to nearest even (as torch's .bfloat16()); NaN stays NaN. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
