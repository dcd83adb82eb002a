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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafetensorsTest {
    static final Path HF = RepoPaths.resolve("dl4j-ext/src/test/resources/goldens/hf");

    @Test
    void readsPythonWrittenDtypesExactly() {
        SafetensorsReader r = SafetensorsReader.open(HF.resolve("dtypes.safetensors"));
        assertEquals("python-safetensors", r.metadata().get("writer"));
        assertEquals(TensorDType.F16, r.info("f16").dtype());
        assertEquals(TensorDType.BF16, r.info("bf16").dtype());
        assertArrayEquals(new long[] {3, 5}, r.info("bf16").shape());
        assertArrayEquals(r.read("f16_as_f32").data().asFloat(), r.read("f16").data().asFloat(), 0f);
        assertArrayEquals(r.read("bf16_as_f32").data().asFloat(), r.read("bf16").data().asFloat(), 0f);
        assertEquals(2.5f, r.read("scalar").getFloat(0), 0f);
        TensorFileException i64 = assertThrows(TensorFileException.class, () -> r.read("i64"));
        assertTrue(i64.getMessage().contains("\"i64\" has dtype I64; only F32, F16 and BF16"), i64.getMessage());
        // our fp32 -> half/bf16 rounding equals torch's
        float[] f32 = r.read("f32").data().asFloat();
        float[] f16 = r.read("f16_as_f32").data().asFloat();
        float[] bf16 = r.read("bf16_as_f32").data().asFloat();
        for (int i = 0; i < f32.length; i++) {
            assertEquals(f16[i], TensorDType.halfToFloat(TensorDType.floatToHalf(f32[i])), 0f);
            assertEquals(bf16[i], TensorDType.bf16ToFloat(TensorDType.floatToBf16(f32[i])), 0f);
        }
    }

    @Test
    void readsTransformersShardedCheckpointIntoFlatLayout() {
        Path dir = HF.resolve("qwen3");
        ParamLayout layout = HfParamNames.layout(HfConfigReader.read(dir));
        SafetensorsReader r = SafetensorsReader.open(dir);
        assertTrue(r.tensors().values().stream().map(TensorInfo::file).distinct().count() > 1, "sharded fixture");
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
        TensorMismatchException missing = assertThrows(TensorMismatchException.class,
                () -> r.readInto("lm_head.weight", Nd4j.zeros(DataType.FLOAT, 64, 32)));
        assertTrue(missing.isMissing());
        assertTrue(missing.getMessage().contains("tensor \"lm_head.weight\" (expected shape [64, 32]) is missing"),
                missing.getMessage());
        TensorMismatchException shape = assertThrows(TensorMismatchException.class,
                () -> r.readInto("model.norm.weight", Nd4j.zeros(DataType.FLOAT, 31)));
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
        tensors.put("d.view", base.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 4),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 7))); // strided view is written as its values

        List<Path> single = SafetensorsWriter.builder().build().write(tmp.resolve("single"), tensors);
        assertEquals(List.of(tmp.resolve("single/model.safetensors")), single);
        assertSame(tensors, SafetensorsReader.open(tmp.resolve("single")), 0f);

        List<Path> sharded = SafetensorsWriter.builder().maxShardBytes(200).build().write(tmp.resolve("sh"), tensors);
        assertEquals(tmp.resolve("sh/model.safetensors.index.json"), sharded.get(sharded.size() - 1));
        assertEquals(3, sharded.size() - 1, "a+b (96+28 bytes) share a shard; c (400) exceeds 200 alone; d (60) after it");
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
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(notSt)).getMessage()
                .contains("8-byte header length"));
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(write(tmp, "huge.safetensors",
                "{}", 1L << 40, 0))).getMessage().contains("header length"));
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(write(tmp, "dt.safetensors",
                "{\"w\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}", -1, 8))).getMessage()
                .contains("unknown dtype \"F12\""));
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(write(tmp, "sz.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", -1, 8))).getMessage()
                .contains("needs 12 bytes but data_offsets span 8"));
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(write(tmp, "tr.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", -1, 8))).getMessage()
                .contains("outside the 8-byte data section"));
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(write(tmp, "ov.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", -1, 12))).getMessage()
                .contains("overlap"));
        Files.writeString(tmp.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"w\": \"gone.safetensors\"}}");
        assertTrue(assertThrows(TensorFileException.class, () -> SafetensorsReader.open(tmp)).getMessage()
                .contains("shard \"gone.safetensors\" listed in weight_map does not exist"));
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
