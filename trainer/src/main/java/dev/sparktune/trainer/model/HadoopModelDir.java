package dev.sparktune.trainer.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.checkpoint.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The base model directory (model_name_or_path) on any Hadoop file system. Ranks load weights from local files, so a
 * remote directory (hdfs://, s3a://, abfs://) is copied once per executor host into the local temp directory, keyed
 * by its path and its files' names, sizes and modification times: ranks sharing a host, and later runs, reuse the
 * copy (one task copies while the others of the host wait). The driver reads only config.json and samples for the fingerprint, never the whole model.
 * Reading the local copy's weights, and writing a model directory, is {@link dev.sparktune.dl4j.model.HfModelDir}'s
 * (dl4j-ext, local files only); this class is the Hadoop side: where the directory is, what it is, and its local copy.
 */
public final class HadoopModelDir {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int SAMPLE = 1 << 20;
    private static final ConcurrentHashMap<String, Object> LOCKS = new ConcurrentHashMap<>();

    private final String path;
    private final Path dir;
    private final FileSystem fs;

    private HadoopModelDir(String path, Configuration conf) {
        this.path = path;
        this.dir = new Path(path);
        try {
            this.fs = dir.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "model_name_or_path = " + path + ": cannot open its file system: " + e.getMessage(), e);
        }
    }

    public static HadoopModelDir of(String modelPath, Configuration conf) {
        return new HadoopModelDir(modelPath, conf);
    }

    /**
     * config.json as text.
     *
     * @throws TrainerException naming the path when there is no config.json
     */
    public String configJson() {
        Path config = new Path(dir, "config.json");
        try {
            if (!fs.exists(config)) {
                throw new TrainerException("model_name_or_path = " + path + " has no config.json: point it at"
                        + " an HF model directory (config.json, *.safetensors, tokenizer files)");
            }
            try (InputStream in = fs.open(config)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + config + ": " + e.getMessage(), e);
        }
    }

    /**
     * A cheap identity of the weights, so that LoRA adapters are not resumed onto other weights of the same shapes
     * (a base and its -Instruct variant): sha256 over config.json and, per safetensors file in name order, its name,
     * size and first and last MiB. Hashing every weight would cost a full read of the model on each launch.
     */
    public String fingerprint() {
        MessageDigest sha = Sha256.digest();
        sha.update(configJson().getBytes(StandardCharsets.UTF_8));
        try {
            for (FileStatus f : files()) {
                if (!f.getPath().getName().endsWith(".safetensors")) {
                    continue;
                }
                long size = f.getLen();
                sha.update((f.getPath().getName() + ":" + size + "\n").getBytes(StandardCharsets.UTF_8));
                byte[] head = new byte[(int) Math.min(SAMPLE, size)];
                byte[] tail = new byte[head.length];
                try (FSDataInputStream in = fs.open(f.getPath())) {
                    in.readFully(0, head);
                    in.readFully(size - tail.length, tail);
                }
                sha.update(head);
                sha.update(tail);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the model in " + path + ": " + e.getMessage(), e);
        }
        return Sha256.hex(sha);
    }

    /**
     * The dtype the weights are stored in, from the safetensors headers alone (a few KiB per file, read through the
     * file system): BFLOAT16 or HALF when every floating-point tensor has it, else FLOAT (fp32 or a mix, which the
     * ranks load as fp32). Frozen weights stay in this dtype in memory.
     */
    public DataType storedDataType() {
        Set<String> dtypes = new TreeSet<>();
        try {
            for (FileStatus f : files()) {
                if (f.getPath().getName().endsWith(".safetensors")) {
                    dtypes.addAll(headerDtypes(f));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the safetensors headers in " + path + ": " + e.getMessage(), e);
        }
        if (dtypes.equals(Set.of("BF16"))) {
            return DataType.BFLOAT16;
        }
        return dtypes.equals(Set.of("F16")) ? DataType.HALF : DataType.FLOAT;
    }

    private Set<String> headerDtypes(FileStatus file) throws IOException {
        try (FSDataInputStream in = fs.open(file.getPath())) {
            byte[] length = new byte[8];
            in.readFully(0, length);
            long n = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n <= 0 || n > Math.min(file.getLen() - 8, 100L << 20)) {
                throw new IOException(file.getPath() + " is not a safetensors file (header length " + n + ")");
            }
            byte[] header = new byte[(int) n];
            in.readFully(8, header);
            Set<String> dtypes = new TreeSet<>();
            MAPPER.readTree(header).fields().forEachRemaining(e -> {
                if (!e.getKey().equals("__metadata__")) {
                    dtypes.add(e.getValue().path("dtype").asText());
                }
            });
            return dtypes;
        }
    }

    /**
     * The directory as a local path: itself when it is local, else this host's copy, made on first use by one task
     * while the others of the host wait (a JVM lock for tasks of one executor, a file lock across executors), reused
     * while every file still has its listed size.
     */
    public java.nio.file.Path local() {
        if ("file".equals(fs.getUri().getScheme())) {
            return java.nio.file.Path.of(dir.toUri().getPath());
        }
        try {
            FileStatus[] files = files();
            MessageDigest sha = Sha256.digest();
            sha.update(fs.makeQualified(dir).toString().getBytes(StandardCharsets.UTF_8));
            for (FileStatus f : files) {
                sha.update((f.getPath().getName() + ":" + f.getLen() + ":" + f.getModificationTime() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            String key = Sha256.hex(sha).substring(0, 32);
            java.nio.file.Path cache = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "sparktune-models");
            java.nio.file.Path target = cache.resolve(key);
            Files.createDirectories(cache);
            synchronized (LOCKS.computeIfAbsent(key, k -> new Object())) {
                try (FileChannel lockFile = FileChannel.open(
                                cache.resolve(key + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock lock = lockFile.lock()) {
                    if (isComplete(target, files)) {
                        return target;
                    }
                    if (Files.exists(target)) {
                        deleteTree(target); // cut short by a temp-dir cleaner: copy again
                    }
                    java.nio.file.Path tmp = cache.resolve(".copy-" + UUID.randomUUID());
                    try {
                        Files.createDirectories(tmp);
                        for (FileStatus f : files) {
                            try (InputStream in = fs.open(f.getPath())) {
                                Files.copy(in, tmp.resolve(f.getPath().getName()));
                            }
                        }
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE); // the rename commits the copy
                    } finally {
                        if (Files.exists(tmp)) {
                            deleteTree(tmp);
                        }
                    }
                    return target;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot copy the model " + path + " to local disk: " + e.getMessage()
                            + " (check the path, the credentials and the executor's free space)",
                    e);
        }
    }

    private static boolean isComplete(java.nio.file.Path copy, FileStatus[] files) throws IOException {
        if (!Files.isDirectory(copy)) {
            return false;
        }
        for (FileStatus f : files) {
            java.nio.file.Path local = copy.resolve(f.getPath().getName());
            if (!Files.isRegularFile(local) || Files.size(local) != f.getLen()) {
                return false;
            }
        }
        return true;
    }

    /** The directory's files (not subdirectories), by name. */
    private FileStatus[] files() throws IOException {
        FileStatus[] all =
                Arrays.stream(fs.listStatus(dir)).filter(FileStatus::isFile).toArray(FileStatus[]::new);
        Arrays.sort(all, Comparator.comparing(f -> f.getPath().getName()));
        return all;
    }

    private static void deleteTree(java.nio.file.Path root) throws IOException {
        try (Stream<java.nio.file.Path> walk = Files.walk(root)) {
            for (java.nio.file.Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
