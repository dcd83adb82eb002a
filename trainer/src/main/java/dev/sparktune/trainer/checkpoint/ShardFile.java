package dev.sparktune.trainer.checkpoint;

import dev.sparktune.dl4j.params.Views;
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

/**
 * One rank's checkpoint file: the ranges of each flat state buffer ({@link #TENSORS}) it holds, as a safetensors file
 * any tool can open. A buffer is stored in chunks named {@code <buffer>/<flat offset>} of at most {@link #CHUNK}
 * elements, because one safetensors tensor is read into one Java array (2^31 bytes at most).
 */
final class ShardFile {
    static final String PARAMS = "params";
    static final String EXP_AVG = "exp_avg";
    static final String EXP_AVG_SQ = "exp_avg_sq";
    static final List<String> TENSORS = List.of(PARAMS, EXP_AVG, EXP_AVG_SQ);
    /** Elements per chunk: 64 MiB, so writing or reading one costs a bounded slice of the JVM heap. */
    static final long CHUNK = 1L << 24;

    static final String FORMAT = CheckpointManifest.FORMAT + "-shard";
    static final String VERSION = "1";

    private ShardFile() {}

    /** Writes {@code pieces} into local file {@code file}. */
    static void write(Path file, List<StatePiece> pieces) {
        write(file, pieces, CHUNK);
    }

    /** {@link #write} with chunks of {@code chunk} elements (tests use small ones). */
    static void write(Path file, List<StatePiece> pieces, long chunk) {
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("no state to write");
        }
        Map<String, INDArray> chunks = new LinkedHashMap<>();
        for (String name : TENSORS) {
            for (StatePiece piece : pieces) {
                INDArray buffer = switch (name) {
                    case PARAMS -> piece.params();
                    case EXP_AVG -> piece.expAvg();
                    default -> piece.expAvgSq();
                };
                long n = buffer.length();
                for (long off = 0; off < n; off += chunk) {
                    chunks.put(
                            chunkName(name, piece.start() + off), Views.range(buffer, off, Math.min(n, off + chunk)));
                }
            }
        }
        try {
            Path tmp = Files.createTempDirectory(file.getParent(), ".shard");
            Path written = SafetensorsWriter.builder()
                    .maxShardBytes(Long.MAX_VALUE)
                    .metadata("format", FORMAT)
                    .metadata("version", VERSION)
                    .build()
                    .write(tmp, chunks)
                    .get(0);
            Files.move(written, file, StandardCopyOption.REPLACE_EXISTING);
            Files.delete(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint shard " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies the elements of [from, to) (flat positions) of buffer {@code name} that local file {@code file} holds
     * into {@code dst}, element i at {@code dstOffset + i - from}.
     *
     * @return elements copied (fewer than requested when other files hold the rest)
     */
    static long readRange(Path file, String name, long from, long to, INDArray dst, long dstOffset) {
        SafetensorsReader reader = SafetensorsReader.open(file);
        if (!FORMAT.equals(reader.metadata().get("format"))
                || !VERSION.equals(reader.metadata().get("version"))) {
            throw new IllegalArgumentException(file + " is not a " + FORMAT + " version " + VERSION + " file (metadata "
                    + reader.metadata() + ")");
        }
        long copied = 0;
        for (Map.Entry<String, TensorInfo> e : reader.tensors().entrySet()) {
            if (!e.getKey().startsWith(name + "/")) {
                continue;
            }
            long chunkStart = Long.parseLong(e.getKey().substring(name.length() + 1));
            long chunkEnd = chunkStart + e.getValue().numel();
            long a = Math.max(from, chunkStart);
            long b = Math.min(to, chunkEnd);
            if (a >= b) {
                continue;
            }
            // straight from the file into its place: no whole-chunk copy
            reader.readRange(
                    e.getKey(),
                    a - chunkStart,
                    b - chunkStart,
                    Views.range(dst, dstOffset + a - from, dstOffset + b - from));
            copied += b - a;
        }
        return copied;
    }

    private static String chunkName(String name, long offset) {
        return String.format("%s/%015d", name, offset);
    }
}
