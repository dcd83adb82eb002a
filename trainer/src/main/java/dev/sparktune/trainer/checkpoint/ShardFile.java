package dev.sparktune.trainer.checkpoint;

import dev.sparktune.dl4j.safetensors.SafetensorsReader;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.dl4j.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One rank's checkpoint file: elements [start, end) of each flat state buffer ({@link #TENSORS}), as a safetensors
 * file any tool can open. A buffer is stored in chunks named {@code <buffer>/<offset from start>} of at most
 * {@link #CHUNK} elements, because one safetensors tensor is read into one Java array (2^31 bytes at most).
 */
final class ShardFile {
    static final String PARAMS = "params";
    static final String EXP_AVG = "exp_avg";
    static final String EXP_AVG_SQ = "exp_avg_sq";
    static final List<String> TENSORS = List.of(PARAMS, EXP_AVG, EXP_AVG_SQ);
    static final long CHUNK = 1L << 28;

    private ShardFile() {
    }

    /** Writes {@code buffers} (name → [end - start] flat fp32) into local file {@code file}. */
    static void write(Path file, long start, long end, Map<String, INDArray> buffers) {
        write(file, start, end, buffers, CHUNK);
    }

    /** {@link #write} with chunks of {@code chunk} elements (tests use small ones). */
    static void write(Path file, long start, long end, Map<String, INDArray> buffers, long chunk) {
        Map<String, INDArray> chunks = new LinkedHashMap<>();
        for (String name : TENSORS) {
            INDArray buffer = buffers.get(name);
            if (buffer == null || buffer.length() != end - start) {
                throw new IllegalArgumentException(name + " must hold " + (end - start) + " elements");
            }
            for (long off = 0; off < end - start; off += chunk) {
                chunks.put(chunkName(name, off),
                        buffer.get(NDArrayIndex.interval(off, Math.min(end - start, off + chunk))));
            }
        }
        try {
            Path tmp = Files.createTempDirectory(file.getParent(), ".shard");
            Path written = SafetensorsWriter.builder().maxShardBytes(Long.MAX_VALUE)
                    .metadata("format", CheckpointManifest.FORMAT + "-shard")
                    .metadata("start", Long.toString(start)).metadata("end", Long.toString(end))
                    .build().write(tmp, chunks).get(0);
            Files.move(written, file, StandardCopyOption.REPLACE_EXISTING);
            Files.delete(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint shard " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies elements [from, to) (flat positions) of buffer {@code name} from local file {@code file}, which holds
     * [start, end), into {@code dst} at {@code dstOffset}.
     *
     * @return elements copied (less than requested when the file lacks chunks)
     */
    static long readRange(Path file, long start, String name, long from, long to, INDArray dst, long dstOffset) {
        SafetensorsReader reader = SafetensorsReader.open(file);
        long copied = 0;
        for (Map.Entry<String, TensorInfo> e : reader.tensors().entrySet()) {
            if (!e.getKey().startsWith(name + "/")) {
                continue;
            }
            long chunkStart = start + Long.parseLong(e.getKey().substring(name.length() + 1));
            long chunkEnd = chunkStart + e.getValue().numel();
            long a = Math.max(from, chunkStart);
            long b = Math.min(to, chunkEnd);
            if (a >= b) {
                continue;
            }
            INDArray chunk = reader.read(e.getKey()).reshape(-1);
            dst.get(NDArrayIndex.interval(dstOffset + a - from, dstOffset + b - from))
                    .assign(chunk.get(NDArrayIndex.interval(a - chunkStart, b - chunkStart)));
            copied += b - a;
        }
        return copied;
    }

    private static String chunkName(String name, long offset) {
        return String.format("%s/%015d", name, offset);
    }
}
