package dev.sparktune.trainer.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The base model directory (model_name_or_path) on any Hadoop file system. Ranks load weights from local files, so a
 * remote directory (hdfs://, s3a://, abfs://) is copied once per executor host into the local temp directory, keyed
 * by its path and its files' names, sizes and modification times: ranks sharing a host, and later runs, reuse the
 * copy. The driver reads only config.json and samples for the fingerprint, never the whole model.
 */
public final class ModelDirectory {
    private static final int SAMPLE = 1 << 20;

    private final String path;
    private final Path dir;
    private final FileSystem fs;

    private ModelDirectory(String path, Configuration conf) {
        this.path = path;
        this.dir = new Path(path);
        try {
            this.fs = dir.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("model_name_or_path = " + path + ": cannot open its file system: "
                    + e.getMessage(), e);
        }
    }

    public static ModelDirectory of(String modelPath, Configuration conf) {
        return new ModelDirectory(modelPath, conf);
    }

    /**
     * config.json as text.
     *
     * @throws IllegalArgumentException naming the path when there is no config.json
     */
    public String configJson() {
        Path config = new Path(dir, "config.json");
        try {
            if (!fs.exists(config)) {
                throw new IllegalArgumentException("model_name_or_path = " + path + " has no config.json: point it at"
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
        MessageDigest sha = sha256();
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
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The directory as a local path: itself when it is local, else this host's copy (made on first use). */
    public java.nio.file.Path local() {
        if ("file".equals(fs.getUri().getScheme())) {
            return java.nio.file.Path.of(dir.toUri().getPath());
        }
        try {
            FileStatus[] files = files();
            MessageDigest sha = sha256();
            sha.update(fs.makeQualified(dir).toString().getBytes(StandardCharsets.UTF_8));
            for (FileStatus f : files) {
                sha.update((f.getPath().getName() + ":" + f.getLen() + ":" + f.getModificationTime() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            java.nio.file.Path cache = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "sparktune-models");
            java.nio.file.Path target = cache.resolve(HexFormat.of().formatHex(sha.digest()).substring(0, 32));
            if (Files.isDirectory(target)) {
                return target;
            }
            Files.createDirectories(cache);
            java.nio.file.Path tmp = cache.resolve(".copy-" + UUID.randomUUID());
            Files.createDirectories(tmp);
            for (FileStatus f : files) {
                try (InputStream in = fs.open(f.getPath())) {
                    Files.copy(in, tmp.resolve(f.getPath().getName()));
                }
            }
            try {
                // the rename is the commit: a host never sees a half-copied model
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileSystemException raced) {
                if (!Files.isDirectory(target)) {
                    throw raced;
                }
                deleteTree(tmp);  // another rank of this host committed its copy first ("Directory not empty")
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the model " + path + " to local disk: " + e.getMessage()
                    + " (check the path, the credentials and the executor's free space)", e);
        }
    }

    /** The directory's files (not subdirectories), by name. */
    private FileStatus[] files() throws IOException {
        FileStatus[] all = Arrays.stream(fs.listStatus(dir)).filter(FileStatus::isFile).toArray(FileStatus[]::new);
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

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
