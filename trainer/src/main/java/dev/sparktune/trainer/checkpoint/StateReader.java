package dev.sparktune.trainer.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads ranges of a committed checkpoint's flat state, whatever world size wrote it: a range is assembled from every
 * shard file it overlaps. Shards on a remote file system are copied to a local temp directory once.
 */
public final class StateReader implements AutoCloseable {
    private final CheckpointStore.Committed committed;
    private final Configuration conf;
    private final Map<String, java.nio.file.Path> local = new HashMap<>();
    private java.nio.file.Path tmpDir;

    StateReader(CheckpointStore.Committed committed, Configuration conf) {
        this.committed = committed;
        this.conf = conf;
    }

    public CheckpointManifest manifest() {
        return committed.manifest();
    }

    /** Parameters [from, to) into {@code dst} (length to - from). */
    public void params(long from, long to, INDArray dst) {
        read(ShardFile.PARAMS, from, to, dst);
    }

    /** AdamW first moments [from, to). */
    public void firstMoment(long from, long to, INDArray dst) {
        read(ShardFile.EXP_AVG, from, to, dst);
    }

    /** AdamW second moments [from, to). */
    public void secondMoment(long from, long to, INDArray dst) {
        read(ShardFile.EXP_AVG_SQ, from, to, dst);
    }

    private void read(String buffer, long from, long to, INDArray dst) {
        if (dst.length() != to - from) {
            throw new IllegalArgumentException("destination holds " + dst.length() + " elements, range " + from + ".."
                    + to + " has " + (to - from));
        }
        long copied = 0;
        for (CheckpointManifest.Shard s : committed.manifest().shards()) {
            if (s.ranges().stream().anyMatch(r -> r.overlaps(from, to))) {
                copied += ShardFile.readRange(fetch(s), buffer, from, to, dst, 0);
            }
        }
        if (copied != to - from) {
            throw new CheckpointException(
                    committed.dir(),
                    committed.dir() + ": " + buffer + " [" + from + ", " + to
                            + ") is not fully held by its shard files (" + copied + " elements found)");
        }
    }

    /** A local path of shard {@code shard}, its sha256 checked against the manifest's on first use. */
    private java.nio.file.Path fetch(CheckpointManifest.Shard shard) {
        return local.computeIfAbsent(shard.file(), f -> {
            Path remote = new Path(committed.dir(), f);
            try {
                FileSystem fs = remote.getFileSystem(conf);
                java.nio.file.Path path;
                if (fs instanceof LocalFileSystem || "file".equals(fs.getUri().getScheme())) {
                    path = java.nio.file.Path.of(remote.toUri().getPath());
                } else {
                    if (tmpDir == null) {
                        tmpDir = Files.createTempDirectory("sparktune-resume-");
                    }
                    path = tmpDir.resolve(f);
                    try (InputStream in = fs.open(remote)) {
                        Files.copy(in, path, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                String actual;
                try (InputStream in = Files.newInputStream(path)) {
                    actual = Sha256.copy(in, OutputStream.nullOutputStream());
                }
                if (!actual.equals(shard.sha256())) {
                    throw new CheckpointException(
                            committed.dir(),
                            remote + " has sha256 " + actual + ", the manifest " + "says " + shard.sha256()
                                    + ": the shard was changed after the commit");
                }
                return path;
            } catch (IOException e) {
                throw new CheckpointException(committed.dir(), "cannot read " + remote + ": " + e.getMessage(), e);
            }
        });
    }

    @Override
    public void close() {
        if (tmpDir != null) {
            local.values().forEach(p -> p.toFile().delete());
            tmpDir.toFile().delete();
        }
    }
}
