package dev.sparktune.dl4j.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.params.TensorShape;
import dev.sparktune.dl4j.params.Views;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes tensors as Hugging Face safetensors: one {@code model.safetensors}, or, when they exceed the shard size,
 * {@code model-0000k-of-0000n.safetensors} shards plus {@code model.safetensors.index.json} (transformers' naming).
 * Tensors keep the given order; a tensor larger than the shard size gets a shard of its own. Files are written to a
 * temporary name and moved into place.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Elements converted at a time when a tensor's values must change type on the way out. */
    private static final int CHUNK = 1 << 20;

    private static final long WINDOW_BYTES = 1L << 30;

    /**
     * The shard size when none is asked for: 5 GB, LLaMA-Factory's export_size default (and transformers 4's
     * save_pretrained max_shard_size), so a model written here is split as the tools this project mirrors split it.
     */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private final long maxShardBytes;
    private final TensorDType dtype;
    private final Map<String, String> metadata;

    private SafetensorsWriter(Builder b) {
        this.maxShardBytes = b.maxShardBytes;
        this.dtype = b.dtype;
        this.metadata = Map.copyOf(b.metadata);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options: shard size (default {@link #DEFAULT_MAX_SHARD_BYTES}), stored dtype (F32), metadata. */
    public static final class Builder {
        private long maxShardBytes = DEFAULT_MAX_SHARD_BYTES;
        private TensorDType dtype = TensorDType.F32;
        private final Map<String, String> metadata = new LinkedHashMap<>(Map.of("format", "pt"));

        public Builder maxShardBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxShardBytes must be > 0, got " + bytes);
            }
            this.maxShardBytes = bytes;
            return this;
        }

        /** Stored dtype: F32, F16 or BF16 (rounded to nearest even). */
        public Builder dtype(TensorDType dtype) {
            if (dtype == null || !dtype.isFloatConvertible()) {
                throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + dtype);
            }
            this.dtype = dtype;
            return this;
        }

        public Builder metadata(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        public SafetensorsWriter build() {
            return new SafetensorsWriter(this);
        }
    }

    /**
     * Writes {@code tensors} (name → array of any float type and layout) into {@code dir}.
     *
     * @return the files written, index last when there is one
     */
    public List<Path> write(Path dir, Map<String, INDArray> tensors) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((name, a) -> shapes.put(name, a.shape()));
        return write(dir, shapes, tensors::get);
    }

    /**
     * Writes the tensors {@code shapes} lists, in its order, asking {@code data} for each one's values just before
     * writing them: an array of {@code shapes}' shape that only needs to stay valid until the next call (a fully
     * sharded model gathers one layer at a time into the same buffer rather than assembling the whole model).
     *
     * @return the files written, index last when there is one
     */
    public List<Path> write(Path dir, Map<String, long[]> shapes, Function<String, INDArray> data) {
        if (shapes.isEmpty()) {
            throw new IllegalArgumentException("no tensors to write");
        }
        List<List<String>> shards = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long currentBytes = 0;
        long total = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = TensorShape.elements(e.getValue()) * dtype.bytes();
            total += bytes;
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e.getKey());
            currentBytes += bytes;
        }
        shards.add(current);
        try {
            Files.createDirectories(dir);
            List<Path> written = new ArrayList<>();
            if (shards.size() == 1) {
                written.add(writeFile(dir.resolve(SafetensorsReader.SINGLE_FILE), shards.get(0), shapes, data));
                return written;
            }
            ObjectNode index = MAPPER.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode weightMap = index.putObject("weight_map");
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                written.add(writeFile(dir.resolve(name), shards.get(i), shapes, data));
                for (String t : shards.get(i)) {
                    weightMap.put(t, name);
                }
            }
            Path indexFile = dir.resolve(SafetensorsReader.INDEX_FILE);
            Path tmp = indexFile.resolveSibling(indexFile.getFileName() + ".tmp");
            Files.writeString(tmp, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(index));
            Files.move(tmp, indexFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written.add(indexFile);
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write safetensors into " + dir + ": " + e.getMessage(), e);
        }
    }

    private Path writeFile(Path file, List<String> names, Map<String, long[]> shapes, Function<String, INDArray> data)
            throws IOException {
        ObjectNode header = MAPPER.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (String name : names) {
            ObjectNode t = header.putObject(name);
            t.put("dtype", dtype.name());
            var shape = t.putArray("shape");
            for (long d : shapes.get(name)) {
                shape.add(d);
            }
            long bytes = TensorShape.elements(shapes.get(name)) * dtype.bytes();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = MAPPER.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8-byte alignment
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            for (String name : names) {
                INDArray a = data.apply(name);
                if (!Arrays.equals(a.shape(), shapes.get(name))) {
                    throw new IllegalArgumentException("tensor \"" + name + "\" has shape " + Arrays.toString(a.shape())
                            + ", announced as " + Arrays.toString(shapes.get(name)));
                }
                writeValues(ch, a);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /**
     * A tensor's values in the stored dtype: straight from its native memory when it already is that dtype and
     * contiguous (no copy: a 4 GB embedding once took three whole-tensor copies on the heap), else converted
     * {@value #CHUNK} elements at a time.
     */
    private void writeValues(FileChannel ch, INDArray a) throws IOException {
        INDArray flat = isContiguous(a) ? a.reshape(a.length()) : a.dup('c').reshape(a.length());
        if (flat.dataType() == dtype.nd4j() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            // the data buffer's address already includes its own offset into the allocation
            long at = (flat.offset() - flat.data().offset()) * dtype.bytes();
            long end = at + flat.length() * dtype.bytes();
            // a ByteBuffer spans at most 2 GiB: larger tensors go out through several windows
            for (long from = at; from < end; from += WINDOW_BYTES) {
                long to = Math.min(end, from + WINDOW_BYTES);
                // a pointer AT the window: a position beyond 2 GiB overflows the NIO buffer's int capacity
                BytePointer bytes = new BytePointer(flat.data().addressPointer()).getPointer(from);
                writeFully(ch, bytes.capacity(to - from).limit(to - from).asByteBuffer());
            }
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(CHUNK * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (long from = 0; from < flat.length(); from += CHUNK) {
            long to = Math.min(flat.length(), from + CHUNK);
            float[] values = Views.range(flat, from, to).castTo(DataType.FLOAT).toFloatVector();
            buf.clear();
            switch (dtype) {
                case F32 -> buf.asFloatBuffer().put(values);
                case F16 -> {
                    for (float v : values) {
                        buf.putShort(TensorDType.floatToHalf(v));
                    }
                }
                case BF16 -> {
                    for (float v : values) {
                        buf.putShort(TensorDType.floatToBf16(v));
                    }
                }
                default -> throw new IllegalStateException(dtype.toString());
            }
            buf.position(0).limit(values.length * dtype.bytes());
            writeFully(ch, buf);
        }
    }

    /** Whether {@code a}'s elements are its buffer's, in c order and back to back (a view at an offset may be). */
    private static boolean isContiguous(INDArray a) {
        return a.length() <= 1 || a.elementWiseStride() == 1 && (a.rank() <= 1 || a.ordering() == 'c');
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
