package dev.sparktune.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.dl4j.safetensors.TensorDType;
import dev.sparktune.dl4j.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Loading a sharded bf16 checkpoint: values exact in FLOAT and in BFLOAT16, and native memory bounded by the final
 * buffer plus one shard while loading. The fixture is the Qwen3 golden config with a 65,536-token vocabulary, so the
 * embedding (4 MB in bf16, 8 MB as fp32) is a shard of its own and dwarfs every other tensor: any whole-tensor
 * temporary copy of it breaks one of the bounds below.
 */
class ShardedLoadTest {
    static final long SHARD_BYTES = 16 << 10;

    @TempDir
    static Path tmp;

    static Path dir;

    @BeforeAll
    static void writeCheckpoint() throws IOException {
        dir = tmp.resolve("qwen3-bf16");
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("config.json"),
                Files.readString(HfConfigReaderTest.HF.resolve("qwen3").resolve("config.json"))
                        .replace("\"vocab_size\": 64", "\"vocab_size\": 65536"));
        ParamLayout layout = HfParamNames.layout(HfConfigReader.read(dir));
        Nd4j.getRandom().setSeed(5);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        layout.entries().forEach(e -> tensors.put(e.name(), Nd4j.randn(DataType.FLOAT, e.shape())));
        SafetensorsWriter.builder()
                .dtype(TensorDType.BF16)
                .maxShardBytes(SHARD_BYTES)
                .build()
                .write(dir, tensors);
    }

    /** The checkpoint's bf16 bits in the flat layout, read straight from the files. */
    private static short[] storedBits(HfModelDir.Stored stored, ParamLayout into) throws IOException {
        short[] bits = new short[Math.toIntExact(into.totalLength())];
        for (ParamLayout.Entry e : into.entries()) {
            TensorInfo info = stored.reader().info(e.name());
            ByteBuffer b =
                    ByteBuffer.allocate(Math.toIntExact(info.byteLength())).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel ch = FileChannel.open(info.file())) {
                while (b.hasRemaining()) {
                    ch.read(b, info.dataOffset() + b.position());
                }
            }
            b.flip().asShortBuffer().get(bits, Math.toIntExact(e.offset()), Math.toIntExact(e.length()));
        }
        return bits;
    }

    private static long largestShardBytes() throws IOException {
        long max = 0;
        try (var files = Files.list(dir)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                max = Math.max(max, Files.size(f));
            }
        }
        return max;
    }

    /** Peak and final native use of one load; ND4J may not allocate at all while it runs (its own limit enforces it). */
    private record Measured(HfModelDir.Loaded loaded, long mappedPeak, long mappedAfter, long heapBytes) {}

    /**
     * ND4J's allocated bytes once no garbage array is left to free: arrays freed by the garbage collector while a
     * load runs would make room under the limit for a temporary copy.
     */
    private static long settledNd4jBytes() throws InterruptedException {
        Environment env = Nd4j.getEnvironment();
        long deadline = System.nanoTime() + 30_000_000_000L;
        long last = -1;
        while (System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
            long now = env.getDeviceCouner(0);
            if (now == last) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("ND4J's allocated bytes did not settle within 30 s");
    }

    private static Measured measuredLoad(HfModelDir.Stored stored, ParamLayout layout, DataType dtype)
            throws InterruptedException {
        BufferPoolMXBean mapped = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("mapped"))
                .findFirst()
                .orElseThrow();
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long mappedBefore = mapped.getMemoryUsed();
        AtomicLong mappedPeak = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                mappedPeak.accumulateAndGet(mapped.getMemoryUsed() - mappedBefore, Math::max);
                Thread.onSpinWait();
            }
        });
        Environment env = Nd4j.getEnvironment();
        // any ND4J allocation beyond what exists now fails with "Requested amount exceeds HOST device limits"
        env.setDeviceLimit(0, settledNd4jBytes() + 1);
        sampler.start();
        long heapBefore = threads.getCurrentThreadAllocatedBytes();
        try {
            HfModelDir.Loaded loaded = stored.load(layout, dtype);
            long heap = threads.getCurrentThreadAllocatedBytes() - heapBefore;
            return new Measured(loaded, mappedPeak.get(), mapped.getMemoryUsed() - mappedBefore, heap);
        } finally {
            env.setDeviceLimit(0, 0);
            done.set(true);
            sampler.join();
        }
    }

    @Test
    void shardedBf16LoadsExactlyIntoFloatAndBf16WithinTheFinalBufferPlusOneShard() throws Exception {
        HfModelDir.Stored stored = HfModelDir.open(dir);
        assertTrue(
                stored.reader().tensors().values().stream()
                                .map(TensorInfo::file)
                                .distinct()
                                .count()
                        > 3,
                "several shards");
        assertEquals(TensorDType.BF16, stored.dtype());
        assertEquals(DataType.BFLOAT16, stored.storedDataType());
        ParamLayout layout = stored.layout();
        short[] bits = storedBits(stored, layout);
        long shard = largestShardBytes();
        long embeddingBf16 = layout.entry("model.embed_tokens.weight").length() * 2;
        assertTrue(
                embeddingBf16 > shard - 1024 && embeddingBf16 > 0.9 * layout.totalLength() * 2,
                "the embedding fills the largest shard and most of the model");
        stored.load(layout, DataType.BFLOAT16); // classes loaded and code compiled before measuring

        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.BFLOAT16}) {
            Measured m = measuredLoad(stored, layout, dtype);
            INDArray params = m.loaded().params();
            assertEquals(dtype, params.dataType());
            int n = bits.length;
            if (dtype == DataType.FLOAT) {
                int[] got = new int[n];
                new IntPointer(params.data().pointer()).get(got);
                for (int i = 0; i < n; i++) {
                    if (got[i] != bits[i] << 16) {
                        assertEquals(bits[i] << 16, got[i], "element " + i + ": fp32 bits are the bf16 bits << 16");
                    }
                }
            } else {
                short[] got = new short[n];
                new ShortPointer(params.data().pointer()).get(got);
                assertArrayEquals(bits, got, "bf16 bits copied unchanged");
            }
            // native memory while loading = the final buffer + mapped file windows + ND4J allocations (none, or the
            // limit would have thrown), so the windows are what must stay within one shard
            assertTrue(m.mappedPeak() <= shard, dtype + ": mapped " + m.mappedPeak() + " > one shard " + shard);
            assertEquals(0, m.mappedAfter(), dtype + ": every mapped window is unmapped by the end of the load");
            // a whole-tensor array on the heap would be >= the embedding's 4 MB
            assertTrue(
                    m.heapBytes() < embeddingBf16 / 4, dtype + ": the load allocated " + m.heapBytes() + " heap bytes");
        }

        // the limit the loads ran under is armed: a whole-tensor temporary INDArray under it fails
        Environment env = Nd4j.getEnvironment();
        env.setDeviceLimit(0, settledNd4jBytes() + 1);
        try {
            RuntimeException copy = assertThrows(
                    RuntimeException.class, () -> Nd4j.createUninitialized(DataType.BFLOAT16, embeddingBf16 / 2));
            assertTrue(copy.getMessage().contains("exceeds HOST device limits"), copy.getMessage());
        } finally {
            env.setDeviceLimit(0, 0);
        }
    }

    @Test
    void reorderedLayoutsAndRangesReadTheSameBits() {
        HfModelDir.Stored stored = HfModelDir.open(dir);
        HfModelDir.Loaded plain = stored.load();
        ParamLayout tailLast = stored.layout().withLast(name -> name.startsWith("model.layers.1."));
        HfModelDir.Loaded reordered = stored.load(tailLast, DataType.BFLOAT16);
        for (ParamLayout.Entry e : stored.layout().entries()) {
            assertEquals(
                    plain.layout().view(plain.params(), e.name()),
                    tailLast.view(reordered.params(), e.name()).castTo(DataType.FLOAT),
                    e.name());
        }
        // a range across entries, into a BFLOAT16 view at an offset, from the files and from memory
        long n = stored.layout().totalLength();
        long from = n - 5000;
        long to = n - 17;
        INDArray fromFiles = Nd4j.zeros(DataType.BFLOAT16, to - from + 10);
        stored.read(from, to, fromFiles.get(NDArrayIndex.interval(10, to - from + 10)));
        HfModelDir.Loaded bf16 = stored.load(stored.layout(), DataType.BFLOAT16);
        assertSame(bf16, bf16.load(stored.layout(), DataType.BFLOAT16), "already loaded so");
        INDArray fromMemory = Nd4j.zeros(DataType.BFLOAT16, to - from);
        bf16.read(from, to, fromMemory);
        assertEquals(fromMemory, fromFiles.get(NDArrayIndex.interval(10, to - from + 10)));
        assertEquals(plain.params().get(NDArrayIndex.interval(from, to)), fromMemory.castTo(DataType.FLOAT));
        assertEquals(plain.params(), bf16.load().params(), "widened in memory as from the files");

        IllegalArgumentException narrowing = assertThrows(
                IllegalArgumentException.class, () -> plain.read(0, 10, Nd4j.zeros(DataType.BFLOAT16, 10)));
        assertTrue(
                narrowing.getMessage().contains("held as FLOAT and cannot be read into a BFLOAT16 destination"),
                narrowing.getMessage());
        HfModelDir.Stored fp32 = HfModelDir.open(HfConfigReaderTest.HF.resolve("qwen3"));
        assertEquals(TensorDType.F32, fp32.dtype());
        assertEquals(DataType.FLOAT, fp32.storedDataType());
        IllegalArgumentException fromF32 =
                assertThrows(IllegalArgumentException.class, () -> fp32.load(fp32.layout(), DataType.HALF));
        assertTrue(
                fromF32.getMessage().contains("is stored as F32 and cannot be read into a HALF destination"),
                fromF32.getMessage());
    }
}
