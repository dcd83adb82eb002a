package dev.sparktune.dl4j.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.model.ModelErrors;
import dev.sparktune.dl4j.params.TensorShape;
import dev.sparktune.dl4j.params.Views;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads safetensors weights: one file, or a sharded set listed by {@code model.safetensors.index.json}. Every header
 * is validated when opened (length, JSON, dtype names, offsets inside the file, byte size = elements x dtype size,
 * no overlaps); tensor data is read on demand, memory-mapped and converted straight into the caller's array (F32, F16
 * or BF16 into fp32, or into their own type).
 */
public final class SafetensorsReader {
    /** Headers beyond this are refused (safetensors itself caps them at 100 MB). */
    static final long MAX_HEADER_BYTES = 100L << 20;

    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";
    /**
     * Largest file window mapped at once: mapped pages count in the process's RSS until unmapped, so this bounds what
     * a read adds to it (and stays below FileChannel.map's 2 GiB limit).
     */
    static final long MAP_WINDOW_BYTES = 256L << 20;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /**
     * Unmaps a window at once (sun.misc.Unsafe.invokeCleaner, in jdk.unsupported): left to the garbage collector,
     * every window read stays mapped and resident (measured: the whole 1.2 GB checkpoint on top of the model).
     */
    private static final MethodHandle UNMAP = unmapHandle();

    private final String description;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final long windowBytes;

    private SafetensorsReader(
            String description, Map<String, TensorInfo> tensors, Map<String, String> metadata, long windowBytes) {
        this.description = description;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.windowBytes = windowBytes;
    }

    /**
     * Opens {@code path}: a {@code .safetensors} file, an index json, or a model directory holding
     * {@value #INDEX_FILE} or {@value #SINGLE_FILE}.
     */
    public static SafetensorsReader open(Path path) {
        return open(path, MAP_WINDOW_BYTES);
    }

    /** As {@link #open(Path)}, mapping at most {@code windowBytes} at once (tests use tiny windows). */
    static SafetensorsReader open(Path path, long windowBytes) {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve(INDEX_FILE))) {
                return openIndex(path.resolve(INDEX_FILE), windowBytes);
            }
            if (Files.isRegularFile(path.resolve(SINGLE_FILE))) {
                return openFile(path.resolve(SINGLE_FILE), windowBytes);
            }
            throw ModelErrors.badTensorFile(
                    path.toString(),
                    "neither " + INDEX_FILE + " nor " + SINGLE_FILE
                            + " is in this directory; expected a Hugging Face model directory with safetensors weights");
        }
        if (path.getFileName().toString().endsWith(".json")) {
            return openIndex(path, windowBytes);
        }
        return openFile(path, windowBytes);
    }

    private static SafetensorsReader openFile(Path file, long windowBytes) {
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, TensorInfo> map = readHeader(file, meta);
        return new SafetensorsReader(file.toString(), map, meta, windowBytes);
    }

    private static SafetensorsReader openIndex(Path index, long windowBytes) {
        JsonNode root;
        try {
            root = MAPPER.readTree(index.toFile());
        } catch (IOException e) {
            throw ModelErrors.badTensorFile(index.toString(), "cannot read the index json: " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw ModelErrors.badTensorFile(index.toString(), "no \"weight_map\" object in the index");
        }
        Map<String, Map<String, TensorInfo>> byFile = new LinkedHashMap<>();
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String fileName = e.getValue().asText();
            if (fileName.contains("/") || fileName.contains("\\") || fileName.equals("..")) {
                throw ModelErrors.badTensorFile(
                        index.toString(),
                        "weight_map points \"" + e.getKey() + "\" at \"" + fileName
                                + "\", which is not a plain file name in the same directory");
            }
            Map<String, TensorInfo> header = byFile.computeIfAbsent(fileName, f -> {
                Path shard = index.resolveSibling(f);
                if (!Files.isRegularFile(shard)) {
                    throw ModelErrors.badTensorFile(
                            index.toString(),
                            "shard \"" + f + "\" listed in weight_map" + " does not exist next to the index");
                }
                return readHeader(shard, meta);
            });
            TensorInfo info = header.get(e.getKey());
            if (info == null) {
                throw ModelErrors.badTensorFile(
                        index.toString(),
                        "weight_map says \"" + e.getKey() + "\" is in " + fileName
                                + ", but that file has no such tensor");
            }
            all.put(e.getKey(), info);
        }
        for (Map.Entry<String, Map<String, TensorInfo>> f : byFile.entrySet()) {
            for (String name : f.getValue().keySet()) {
                if (!all.containsKey(name)) {
                    throw ModelErrors.badTensorFile(
                            index.toString(),
                            "shard " + f.getKey() + " holds \"" + name + "\", which weight_map does not list");
                }
            }
        }
        return new SafetensorsReader(index.toString(), all, meta, windowBytes);
    }

    private static Map<String, TensorInfo> readHeader(Path file, Map<String, String> metaOut) {
        String where = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw ModelErrors.badTensorFile(
                        where,
                        "file is " + size + " bytes; a safetensors file starts with an" + " 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw ModelErrors.badTensorFile(
                        where,
                        "header length " + headerLen + " is invalid for a file of " + size
                                + " bytes (not a safetensors file, or truncated)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = MAPPER.readTree(hb.array());
            } catch (IOException e) {
                throw ModelErrors.badTensorFile(where, "header is not valid JSON: " + e.getMessage(), e);
            }
            if (header == null || !header.isObject()) {
                throw ModelErrors.badTensorFile(where, "header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, TensorInfo> map = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                JsonNode t = e.getValue();
                if (name.equals("__metadata__")) {
                    if (!t.isObject()) {
                        throw ModelErrors.badTensorFile(where, "__metadata__ is not an object of strings");
                    }
                    t.fields()
                            .forEachRemaining(
                                    m -> metaOut.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                map.put(name, parseEntry(where, file, name, t, dataStart, dataLen, ranges));
            }
            ranges.sort((a, b) -> Long.compare(a[0], b[0]));
            for (int i = 1; i < ranges.size(); i++) {
                if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                    throw ModelErrors.badTensorFile(where, "tensor data ranges overlap at byte " + ranges.get(i)[0]);
                }
            }
            return map;
        } catch (IOException e) {
            throw ModelErrors.badTensorFile(where, "cannot read: " + e.getMessage(), e);
        }
    }

    private static TensorInfo parseEntry(
            String where, Path file, String name, JsonNode t, long dataStart, long dataLen, List<long[]> ranges) {
        if (!t.isObject() || !t.has("dtype") || !t.has("shape") || !t.has("data_offsets")) {
            throw ModelErrors.badTensorFile(where, "tensor \"" + name + "\" needs dtype, shape and data_offsets");
        }
        TensorDType dtype = TensorDType.parse(t.get("dtype").asText());
        if (dtype == null) {
            throw ModelErrors.badTensorFile(
                    where,
                    "tensor \"" + name + "\" has unknown dtype \""
                            + t.get("dtype").asText() + "\"; safetensors dtypes are " + TensorDType.names());
        }
        JsonNode shapeNode = t.get("shape");
        JsonNode offs = t.get("data_offsets");
        if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
            throw ModelErrors.badTensorFile(
                    where, "tensor \"" + name + "\": shape must be a list and data_offsets" + " a [begin, end] pair");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || d.asLong() < 0) {
                throw ModelErrors.badTensorFile(where, "tensor \"" + name + "\" has a bad dimension " + d);
            }
            shape[i] = d.asLong();
        }
        long numel = TensorShape.elements(shape);
        long begin = offs.get(0).asLong();
        long end = offs.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw ModelErrors.badTensorFile(
                    where,
                    "tensor \"" + name + "\" data_offsets [" + begin + ", " + end + "] fall outside the " + dataLen
                            + "-byte data section (truncated file?)");
        }
        if (end - begin != numel * dtype.bytes()) {
            throw ModelErrors.badTensorFile(
                    where,
                    "tensor \"" + name + "\" " + dtype + Arrays.toString(shape) + " needs " + numel * dtype.bytes()
                            + " bytes but data_offsets span " + (end - begin));
        }
        ranges.add(new long[] {begin, end});
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, end - begin);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
        buf.flip();
    }

    /** All tensors, in header / index order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The merged {@code __metadata__} of the file(s). */
    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The header entry for {@code name}; fails naming the tensor when absent. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw ModelErrors.missingTensor(name, null, description);
        }
        return info;
    }

    /** Reads {@code name} as fp32 into a new array of its stored shape. */
    public INDArray read(String name) {
        long[] shape = info(name).shape();
        INDArray out =
                shape.length == 0 ? Nd4j.scalar(DataType.FLOAT, 0) : Nd4j.createUninitialized(DataType.FLOAT, shape);
        readInto(name, out);
        return out;
    }

    /**
     * Reads {@code name} into {@code dst} (e.g. a parameter's view at an offset of a flat buffer), checking that the
     * stored shape equals {@code dst}'s. See {@link #readRange} for the destination types and layout.
     *
     * @throws dev.sparktune.dl4j.model.TensorMismatchException naming the tensor when missing or of another shape
     */
    public void readInto(String name, INDArray dst) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw ModelErrors.missingTensor(name, dst.shape(), description);
        }
        if (!Arrays.equals(info.shape(), dst.shape())) {
            throw ModelErrors.shapeMismatch(
                    name, dst.shape(), info.shape(), info.file().toString());
        }
        copy(info, 0, info.numel(), dst);
    }

    /**
     * Elements [from, to) of {@code name}, flattened in row-major order, into {@code dst} (to - from elements): a rank
     * of a fully sharded run reads only its shard of a tensor. The file is memory-mapped and converted straight into
     * {@code dst}'s memory, one window of at most 256 MiB mapped at a time, with no intermediate copy.
     *
     * <p>{@code dst} is FLOAT, BFLOAT16 or HALF and contiguous (c order, element-wise stride 1; a view at an offset of
     * a bigger buffer is fine). A tensor stored in {@code dst}'s type is copied byte for byte; BF16 and F16 widen
     * exactly into FLOAT; anything else would round and is refused.
     *
     * @throws dev.sparktune.dl4j.model.TensorMismatchException naming the tensor when it is missing
     * @throws IllegalArgumentException naming the tensor for a narrowing conversion, a non-contiguous destination or
     *                                  a range outside the tensor
     */
    public void readRange(String name, long from, long to, INDArray dst) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw ModelErrors.missingTensor(name, null, description);
        }
        if (from < 0 || to > info.numel() || from > to || dst.length() != to - from) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") of \"" + name + "\" (" + info.numel()
                    + " elements) into a destination of " + dst.length());
        }
        copy(info, from, to, dst);
    }

    private void copy(TensorInfo info, long from, long to, INDArray dst) {
        if (!info.dtype().isFloatConvertible()) {
            throw ModelErrors.badTensorFile(
                    info.file().toString(),
                    "tensor \"" + info.name() + "\" has dtype " + info.dtype()
                            + "; only F32, F16 and BF16 weights can be loaded");
        }
        DataType stored = info.dtype().nd4j();
        if (!TensorDType.convertsExactly(stored, dst.dataType())) {
            throw new IllegalArgumentException("tensor \"" + info.name() + "\" is stored as " + info.dtype()
                    + " and cannot be read into a " + dst.dataType() + " destination without rounding; read "
                    + info.dtype() + " into " + stored + (stored == DataType.FLOAT ? "" : " or FLOAT"));
        }
        if (dst.length() > 1 && (dst.elementWiseStride() != 1 || dst.rank() > 1 && dst.ordering() != 'c')) {
            throw new IllegalArgumentException("destination for \"" + info.name() + "\" must be contiguous in c order"
                    + " (element-wise stride 1), got shape " + Arrays.toString(dst.shape()) + " strides "
                    + Arrays.toString(dst.stride()) + " order " + dst.ordering() + "; read into a contiguous buffer");
        }
        if (to == from) {
            return;
        }
        // the same memory seen flat: a contiguous c-order array reshapes without a copy
        INDArray flat = dst.rank() == 1 ? dst : dst.reshape('c', new long[] {dst.length()});
        int width = info.dtype().bytes();
        long perWindow = Math.max(1, windowBytes / width);
        try (FileChannel ch = FileChannel.open(info.file(), StandardOpenOption.READ)) {
            for (long a = from; a < to; a += perWindow) {
                long z = Math.min(to, a + perWindow);
                MappedByteBuffer window =
                        ch.map(FileChannel.MapMode.READ_ONLY, info.dataOffset() + a * width, (z - a) * width);
                try {
                    INDArray src = NativeArrays.over(new Pointer(window), stored, z - a);
                    // ND4J's assign casts on its OpenMP threads: measured on a 155M-element bf16 tensor, 0.02-0.03 s
                    // against 0.12-0.25 s for a scalar Java loop and 0.03 s (after JIT warm-up, 0.4 s before) for a
                    // Vector API loop; bf16 -> fp32 is bits << 16 there too, checked over all 65,536 patterns
                    (z - a == flat.length() ? flat : Views.range(flat, a - from, z - from)).assign(src);
                } finally {
                    unmap(window);
                }
            }
        } catch (IOException e) {
            throw ModelErrors.badTensorFile(
                    info.file().toString(), "cannot read tensor \"" + info.name() + "\": " + e.getMessage(), e);
        }
    }

    private static void unmap(MappedByteBuffer window) {
        try {
            UNMAP.invokeExact((ByteBuffer) window);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot unmap a safetensors window: " + t, t);
        }
    }

    private static MethodHandle unmapHandle() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(theUnsafe.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "reading safetensors needs sun.misc.Unsafe.invokeCleaner (module"
                            + " jdk.unsupported) to unmap file windows: " + e,
                    e);
        }
    }
}
