package dev.sparktune.dl4j.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes tensors as Hugging Face safetensors: one {@code model.safetensors}, or, when they exceed the shard size,
 * {@code model-0000k-of-0000n.safetensors} shards plus {@code model.safetensors.index.json} (transformers' naming).
 * Tensors keep the given order; a tensor larger than the shard size gets a shard of its own. Files are written to a
 * temporary name and moved into place.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper MAPPER = new ObjectMapper();

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

    /** Options: shard size (default 5 GB, as transformers' save_pretrained), stored dtype (F32), metadata. */
    public static final class Builder {
        private long maxShardBytes = 5_000_000_000L;
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
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("no tensors to write");
        }
        List<List<String>> shards = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long currentBytes = 0;
        long total = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            long bytes = e.getValue().length() * dtype.bytes();
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
                written.add(writeFile(dir.resolve(SafetensorsReader.SINGLE_FILE), shards.get(0), tensors));
                return written;
            }
            ObjectNode index = MAPPER.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode weightMap = index.putObject("weight_map");
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                written.add(writeFile(dir.resolve(name), shards.get(i), tensors));
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

    private Path writeFile(Path file, List<String> names, Map<String, INDArray> tensors) throws IOException {
        ObjectNode header = MAPPER.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (String name : names) {
            INDArray a = tensors.get(name);
            ObjectNode t = header.putObject(name);
            t.put("dtype", dtype.name());
            var shape = t.putArray("shape");
            for (long d : a.shape()) {
                shape.add(d);
            }
            long bytes = a.length() * dtype.bytes();
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
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            for (String name : names) {
                float[] values = tensors.get(name).dup('c').data().asFloat();
                ByteBuffer buf = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
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
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

}
