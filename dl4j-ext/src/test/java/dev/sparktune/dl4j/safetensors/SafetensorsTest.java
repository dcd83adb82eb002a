package dev.sparktune.dl4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.TensorFileException;
import dev.sparktune.dl4j.model.TensorMismatchException;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SafetensorsTest {
    static final Path HF = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf");

    @Test
    void readsPythonWrittenDtypesExactly() {
        SafetensorsReader r = SafetensorsReader.open(HF.resolve("dtypes.safetensors"));
        assertEquals("python-safetensors", r.metadata().get("writer"));
        assertEquals(TensorDType.F16, r.info("f16").dtype());
        assertEquals(TensorDType.BF16, r.info("bf16").dtype());
        assertArrayEquals(new long[] {3, 5}, r.info("bf16").shape());
        assertArrayEquals(
                r.read("f16_as_f32").data().asFloat(), r.read("f16").data().asFloat(), 0f);
        assertArrayEquals(
                r.read("bf16_as_f32").data().asFloat(), r.read("bf16").data().asFloat(), 0f);
        assertEquals(2.5f, r.read("scalar").getFloat(0), 0f);
        TensorFileException i64 = assertThrows(TensorFileException.class, () -> r.read("i64"));
        assertTrue(i64.getMessage().contains("\"i64\" has dtype I64; only F32, F16 and BF16"), i64.getMessage());
        // our fp32 -> half/bf16 rounding equals torch's
        float[] f32 = r.read("f32").data().asFloat();
        float[] f16 = r.read("f16_as_f32").data().asFloat();
        float[] bf16 = r.read("bf16_as_f32").data().asFloat();
        for (int i = 0; i < f32.length; i++) {
            assertEquals(f16[i], halfToFloat(TensorDType.floatToHalf(f32[i])), 0f);
            assertEquals(bf16[i], bf16ToFloat(TensorDType.floatToBf16(f32[i])), 0f);
        }
    }

    @Test
    void readsTransformersShardedCheckpointIntoFlatLayout() {
        Path dir = HF.resolve("qwen3");
        ParamLayout layout = HfParamNames.layout(HfConfigReader.read(dir));
        SafetensorsReader r = SafetensorsReader.open(dir);
        assertTrue(
                r.tensors().values().stream().map(TensorInfo::file).distinct().count() > 1, "sharded fixture");
        INDArray flat = layout.allocate();
        for (ParamLayout.Entry e : layout.entries()) {
            r.readInto(e.name(), layout.view(flat, e.name()));
        }
        INDArray q = r.read("model.layers.1.self_attn.q_proj.weight");
        assertEquals(q, layout.view(flat, "model.layers.1.self_attn.q_proj.weight"));
        assertEquals(r.read("model.norm.weight"), layout.view(flat, "model.norm.weight"));
    }

    @Test
    void missingAndMismatchedTensorsAreNamed() {
        SafetensorsReader r = SafetensorsReader.open(HF.resolve("qwen2"));
        TensorMismatchException missing = assertThrows(
                TensorMismatchException.class, () -> r.readInto("lm_head.weight", Nd4j.zeros(DataType.FLOAT, 64, 32)));
        assertTrue(missing.isMissing());
        assertTrue(
                missing.getMessage().contains("tensor \"lm_head.weight\" (expected shape [64, 32]) is missing"),
                missing.getMessage());
        TensorMismatchException shape = assertThrows(
                TensorMismatchException.class, () -> r.readInto("model.norm.weight", Nd4j.zeros(DataType.FLOAT, 31)));
        assertArrayEquals(new long[] {32}, shape.actualShape());
        assertArrayEquals(new long[] {31}, shape.expectedShape());
        assertTrue(shape.getMessage().contains("has shape [32] but the config implies [31]"), shape.getMessage());
    }

    @Test
    void roundTripSingleAndShardedAllDtypes(@TempDir Path tmp) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(3);
        tensors.put("a.weight", Nd4j.randn(DataType.FLOAT, 4, 6));
        tensors.put("b.bias", Nd4j.randn(DataType.FLOAT, 7));
        tensors.put("c.big", Nd4j.randn(DataType.FLOAT, 10, 10));
        INDArray base = Nd4j.randn(DataType.FLOAT, 6, 8);
        tensors.put(
                "d.view",
                base.get(
                        NDArrayIndex.interval(1, 4),
                        NDArrayIndex.interval(2, 7))); // strided view is written as its values

        List<Path> single = SafetensorsWriter.builder().build().write(tmp.resolve("single"), tensors);
        assertEquals(List.of(tmp.resolve("single/model.safetensors")), single);
        assertSame(tensors, SafetensorsReader.open(tmp.resolve("single")), 0f);

        List<Path> sharded =
                SafetensorsWriter.builder().maxShardBytes(200).build().write(tmp.resolve("sh"), tensors);
        assertEquals(tmp.resolve("sh/model.safetensors.index.json"), sharded.get(sharded.size() - 1));
        assertEquals(
                3, sharded.size() - 1, "a+b (96+28 bytes) share a shard; c (400) exceeds 200 alone; d (60) after it");
        assertTrue(Files.exists(tmp.resolve("sh/model-00001-of-00003.safetensors")));
        assertSame(tensors, SafetensorsReader.open(tmp.resolve("sh")), 0f);

        for (TensorDType dt : List.of(TensorDType.F16, TensorDType.BF16)) {
            SafetensorsWriter.builder().dtype(dt).build().write(tmp.resolve(dt.name()), tensors);
            SafetensorsReader r = SafetensorsReader.open(tmp.resolve(dt.name()));
            assertEquals(dt, r.info("a.weight").dtype());
            assertSame(tensors, r, dt == TensorDType.F16 ? 2e-3f : 2e-2f);
        }
    }

    private static void assertSame(Map<String, INDArray> expected, SafetensorsReader r, float relTol) {
        assertEquals(expected.keySet(), r.tensors().keySet());
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            INDArray got = r.read(e.getKey());
            assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
            float[] a = e.getValue().dup('c').data().asFloat();
            float[] b = got.data().asFloat();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], relTol * Math.abs(a[i]) + 1e-7, e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void corruptFilesFailWithTheProblem(@TempDir Path tmp) throws IOException {
        Path notSt = tmp.resolve("x.safetensors");
        Files.write(notSt, new byte[] {1, 2, 3});
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(notSt))
                .getMessage()
                .contains("8-byte header length"));
        assertTrue(assertThrows(
                        TensorFileException.class,
                        () -> SafetensorsReader.open(write(tmp, "huge.safetensors", "{}", 1L << 40, 0)))
                .getMessage()
                .contains("header length"));
        assertTrue(assertThrows(
                        TensorFileException.class,
                        () -> SafetensorsReader.open(write(
                                tmp,
                                "dt.safetensors",
                                "{\"w\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                                -1,
                                8)))
                .getMessage()
                .contains("unknown dtype \"F12\""));
        assertTrue(assertThrows(
                        TensorFileException.class,
                        () -> SafetensorsReader.open(write(
                                tmp,
                                "sz.safetensors",
                                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                                -1,
                                8)))
                .getMessage()
                .contains("needs 12 bytes but data_offsets span 8"));
        assertTrue(assertThrows(
                        TensorFileException.class,
                        () -> SafetensorsReader.open(write(
                                tmp,
                                "tr.safetensors",
                                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                                -1,
                                8)))
                .getMessage()
                .contains("outside the 8-byte data section"));
        assertTrue(assertThrows(
                        TensorFileException.class,
                        () -> SafetensorsReader.open(write(
                                tmp,
                                "ov.safetensors",
                                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                        + "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                                -1,
                                12)))
                .getMessage()
                .contains("overlap"));
        Files.writeString(
                tmp.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"w\": \"gone.safetensors\"}}");
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(tmp))
                .getMessage()
                .contains("shard \"gone.safetensors\" listed in weight_map does not exist"));
    }

    /** IEEE half to float, bit by bit (Java 17 has no Float.float16ToFloat): the oracle for ND4J's widening. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** A file of F32 / F16 / BF16 tensors given as raw little-endian bits. */
    private static Path writeRaw(Path file, Map<String, Object> tensors) throws IOException {
        StringBuilder header = new StringBuilder("{");
        ByteBuffer data = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, Object> e : tensors.entrySet()) {
            int begin = data.position();
            String dtype;
            if (e.getValue() instanceof int[] f32) {
                dtype = "F32";
                for (int v : f32) {
                    data.putInt(v);
                }
            } else {
                short[] bits = (short[]) e.getValue();
                dtype = e.getKey().startsWith("f16") ? "F16" : "BF16";
                for (short v : bits) {
                    data.putShort(v);
                }
            }
            header.append(header.length() > 1 ? "," : "")
                    .append('"')
                    .append(e.getKey())
                    .append("\":{\"dtype\":\"")
                    .append(dtype)
                    .append("\",\"shape\":[")
                    .append((data.position() - begin) / (dtype.equals("F32") ? 4 : 2))
                    .append("],\"data_offsets\":[")
                    .append(begin)
                    .append(',')
                    .append(data.position())
                    .append("]}");
        }
        byte[] h = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.position()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data.flip());
        Files.write(file, out.array());
        return file;
    }

    private static short[] everyPattern() {
        short[] bits = new short[1 << 16];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) i;
        }
        return bits;
    }

    private static short[] rawShorts(INDArray a) {
        short[] out = new short[(int) a.length()];
        new ShortPointer(a.data().pointer()).position(a.offset()).get(out);
        return out;
    }

    private static int[] rawInts(INDArray a) {
        int[] out = new int[(int) a.length()];
        new IntPointer(a.data().pointer()).position(a.offset()).get(out);
        return out;
    }

    @Test
    void everyBf16AndF16PatternReadsExactlyIntoFloatAndIntoItsOwnType(@TempDir Path tmp) throws IOException {
        // NaN payloads and signalling NaNs included: a copy through float arithmetic would change them
        int[] f32 = {
            0,
            0x80000000,
            0x7f800000,
            0xff800000,
            0x7fc00000,
            0x7fa00001,
            0xffc12345,
            1,
            0x3f800000,
            0x00800000,
            0x807fffff,
            0x4049_0fdb
        };
        Path file = writeRaw(
                tmp.resolve("bits.safetensors"),
                new LinkedHashMap<>(Map.of("bf16", everyPattern(), "f16", everyPattern(), "f32", f32)));
        SafetensorsReader r = SafetensorsReader.open(file);
        int n = 1 << 16;

        INDArray widened = NativeArrays.uninitialized(DataType.FLOAT, n);
        r.readInto("bf16", widened);
        int[] got = rawInts(widened);
        for (int i = 0; i < n; i++) {
            assertEquals(i << 16, got[i], "bf16 bits " + Integer.toHexString(i) + " widen as bits << 16");
        }
        INDArray bf16 = NativeArrays.uninitialized(DataType.BFLOAT16, n);
        r.readInto("bf16", bf16);
        assertArrayEquals(everyPattern(), rawShorts(bf16), "bf16 into BFLOAT16 is a byte copy");

        INDArray halfWidened = NativeArrays.uninitialized(DataType.FLOAT, n);
        r.readInto("f16", halfWidened);
        float[] halfValues = halfWidened.data().asFloat();
        for (int i = 0; i < n; i++) {
            float expected = halfToFloat((short) i);
            assertTrue(
                    Float.isNaN(expected)
                            ? Float.isNaN(halfValues[i])
                            : Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(halfValues[i]),
                    "f16 bits " + Integer.toHexString(i) + ": expected " + expected + ", got " + halfValues[i]);
        }
        INDArray half = NativeArrays.uninitialized(DataType.HALF, n);
        r.readInto("f16", half);
        assertArrayEquals(everyPattern(), rawShorts(half), "f16 into HALF is a byte copy");

        INDArray floats = NativeArrays.uninitialized(DataType.FLOAT, f32.length);
        r.readInto("f32", floats);
        assertArrayEquals(f32, rawInts(floats), "f32 into FLOAT is a byte copy");
    }

    @Test
    void narrowingAndNonContiguousDestinationsAreRefusedNamingTheTensor(@TempDir Path tmp) throws IOException {
        Path file = writeRaw(
                tmp.resolve("x.safetensors"),
                new LinkedHashMap<>(Map.of("w32", new int[6], "bf16.w", new short[6], "f16.w", new short[6])));
        SafetensorsReader r = SafetensorsReader.open(file);
        String[][] refused = {
            {"w32", "F32", "BFLOAT16"}, {"w32", "F32", "HALF"}, {"bf16.w", "BF16", "HALF"}, {"f16.w", "F16", "BFLOAT16"}
        };
        for (String[] c : refused) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> r.readInto(c[0], Nd4j.zeros(DataType.valueOf(c[2]), 6)));
            assertTrue(
                    e.getMessage()
                            .contains("tensor \"" + c[0] + "\" is stored as " + c[1] + " and cannot be read into a "
                                    + c[2] + " destination without rounding"),
                    e.getMessage());
        }
        IllegalArgumentException range = assertThrows(
                IllegalArgumentException.class, () -> r.readRange("w32", 1, 3, Nd4j.zeros(DataType.BFLOAT16, 2)));
        assertTrue(range.getMessage().contains("read F32 into FLOAT"), range.getMessage());

        INDArray matrix = Nd4j.zeros(DataType.FLOAT, 3, 4);
        IllegalArgumentException column =
                assertThrows(IllegalArgumentException.class, () -> r.readRange("w32", 0, 3, matrix.getColumn(1)));
        assertTrue(column.getMessage().contains("destination for \"w32\" must be contiguous"), column.getMessage());
        IllegalArgumentException transposed = assertThrows(
                IllegalArgumentException.class,
                () -> r.readRange("w32", 0, 6, Nd4j.zeros(DataType.FLOAT, 2, 3).transpose()));
        assertTrue(transposed.getMessage().contains("must be contiguous"), transposed.getMessage());
    }

    @Test
    void theWriterTakesViewsAtOffsetsNarrowArraysAndOneReusedBuffer(@TempDir Path tmp) {
        // a flat parameter buffer: tensors are views at offsets, written straight from its memory
        INDArray flat = Nd4j.rand(DataType.FLOAT, 3 * (1 << 20) + 7);
        Map<String, INDArray> views = new LinkedHashMap<>();
        views.put("a", flat.get(NDArrayIndex.interval(5, 5 + 6 * 7)).reshape(6, 7));
        views.put("big", flat.get(NDArrayIndex.interval(47, 47 + (1 << 21) + 3))); // over one conversion chunk
        views.put("bf16", flat.get(NDArrayIndex.interval(0, (1 << 20) + 9)).castTo(DataType.BFLOAT16));
        views.put(
                "strided", flat.get(NDArrayIndex.interval(0, 40)).reshape(8, 5).transpose());
        SafetensorsWriter.builder().build().write(tmp.resolve("views"), views);
        SafetensorsReader reader = SafetensorsReader.open(tmp.resolve("views"));
        for (Map.Entry<String, INDArray> e : views.entrySet()) {
            assertEquals(e.getValue().castTo(DataType.FLOAT), reader.read(e.getKey()), e.getKey());
        }
        // a source that hands out the same buffer for every tensor, refilled on each call
        INDArray slot = Nd4j.create(DataType.FLOAT, 4, 3);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            shapes.put("t" + i, new long[] {4, 3});
        }
        SafetensorsWriter.builder()
                .dtype(TensorDType.BF16)
                .build()
                .write(tmp.resolve("reused"), shapes, name -> slot.assign(Integer.parseInt(name.substring(1)) + 0.5));
        SafetensorsReader reused = SafetensorsReader.open(tmp.resolve("reused"));
        for (int i = 0; i < 3; i++) {
            assertEquals(Nd4j.valueArrayOf(new long[] {4, 3}, i + 0.5, DataType.FLOAT), reused.read("t" + i), "t" + i);
        }
        String message = assertThrows(
                        IllegalArgumentException.class,
                        () -> SafetensorsWriter.builder()
                                .build()
                                .write(tmp.resolve("wrong"), Map.of("x", new long[] {2, 2}), name -> slot))
                .getMessage();
        assertTrue(message.contains("\"x\"") && message.contains("[4, 3]"), message);
    }

    @Test
    void tensorsSplitOverManyWindowsLandAtTheirOffsets(@TempDir Path tmp) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(11);
        tensors.put("a", Nd4j.randn(DataType.FLOAT, 7, 13));
        tensors.put("b", Nd4j.randn(DataType.FLOAT, 50));
        for (TensorDType dt : List.of(TensorDType.F32, TensorDType.BF16)) {
            Path dir = tmp.resolve(dt.name());
            SafetensorsWriter.builder().dtype(dt).build().write(dir, tensors);
            SafetensorsReader whole = SafetensorsReader.open(dir);
            // 10-byte windows: 2 F32 or 5 BF16 elements each, so window edges fall inside rows
            SafetensorsReader windows = SafetensorsReader.open(dir, 10);
            INDArray expected = whole.read("a");
            assertEquals(expected, windows.read("a"), dt + " whole tensor");

            // a range into a view at an offset of a bigger buffer: the neighbours stay untouched
            INDArray big = Nd4j.valueArrayOf(new long[] {100}, -7f, DataType.FLOAT);
            windows.readRange("a", 9, 52, big.get(NDArrayIndex.interval(20, 63)));
            assertEquals(
                    expected.reshape(91).get(NDArrayIndex.interval(9, 52)), big.get(NDArrayIndex.interval(20, 63)));
            assertEquals(-7f, big.getFloat(19), 0f);
            assertEquals(-7f, big.getFloat(63), 0f);

            // into the stored type as well, through a 2-D view of a flat buffer
            DataType own = dt.nd4j();
            INDArray flat = Nd4j.zeros(own, 200);
            INDArray view = flat.get(NDArrayIndex.interval(30, 121)).reshape('c', 7, 13);
            windows.readInto("a", view);
            assertEquals(whole.read("a").castTo(own), view, dt + " into " + own);
            assertEquals(0f, flat.getFloat(29), 0f);
            assertEquals(0f, flat.getFloat(121), 0f);
        }
    }

    private static Path write(Path dir, String name, String header, long fakeLen, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(fakeLen >= 0 ? fakeLen : h.length).put(h);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }
}
