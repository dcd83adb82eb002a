package dev.sparktune.trainer.checkpoint;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints under {@code output_dir}, on any Hadoop file system (local, hdfs://, s3a://), as
 * {@code checkpoint-<step>/} directories (transformers' naming). Commit protocol, which needs no rename (object
 * stores have none): every rank writes its shard file; then rank 0 writes {@value #MANIFEST} and, last, the marker
 * {@value #MARKER} holding the manifest's sha256. A directory without a marker whose hash matches is never read: a
 * run killed mid-save leaves only garbage that the next commit prunes.
 */
public final class CheckpointStore {
    public static final String PREFIX = "checkpoint-";
    public static final String MANIFEST = "checkpoint.json";
    public static final String MARKER = "COMMITTED";
    /** rank 0's trainer log up to the checkpoint, so a resumed run's log has every step. */
    public static final String TRAINER_LOG = "trainer_log.jsonl";

    private static final Pattern DIR = Pattern.compile(Pattern.quote(PREFIX) + "(\\d{1,9})");
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);

    private final Path root;
    private final FileSystem fs;

    /** A checkpoint whose marker and manifest were verified. */
    public record Committed(String dir, CheckpointManifest manifest) {}

    public CheckpointStore(String outputDir, Configuration conf) {
        this.root = new Path(outputDir);
        try {
            this.fs = root.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open output_dir " + outputDir + ": " + e.getMessage(), e);
        }
    }

    /** The directory of the checkpoint after {@code step} steps. */
    public String dir(int step) {
        return new Path(root, PREFIX + step).toString();
    }

    /** The shard file name of {@code rank}; the attempt keeps a retried stage's files apart from a killed one's. */
    public static String shardFile(int rank, int worldSize, int attempt) {
        return String.format("shard-%05d-of-%05d.attempt-%d.safetensors", rank, worldSize, attempt);
    }

    /**
     * Rank 0, before any rank writes checkpoint {@code step}: removes what an earlier save of that step left (an old
     * marker must not vouch for new files; a killed attempt's or an abandoned run's shards go too).
     */
    public void clear(int step) {
        try {
            fs.delete(new Path(dir(step)), true);
        } catch (IOException e) {
            throw io("cannot clear " + dir(step), e);
        }
    }

    /** Writes the ranges one rank holds into checkpoint {@code step} and returns its manifest entry. */
    public CheckpointManifest.Shard writeShard(int step, String fileName, List<StatePiece> pieces) {
        java.nio.file.Path local = null;
        try {
            java.nio.file.Path tmpDir = Files.createTempDirectory("sparktune-ckpt-");
            local = tmpDir.resolve(fileName);
            ShardFile.write(local, pieces);
            long bytes = Files.size(local);
            String sha256;
            try (InputStream in = Files.newInputStream(local);
                    OutputStream out = fs.create(new Path(dir(step), fileName), true)) {
                sha256 = Sha256.copy(in, out);
            }
            return new CheckpointManifest.Shard(
                    fileName,
                    pieces.stream()
                            .map(p -> new CheckpointManifest.Range(p.start(), p.end()))
                            .toList(),
                    bytes,
                    sha256);
        } catch (IOException e) {
            throw io("cannot write " + fileName + " of checkpoint " + dir(step), e);
        } finally {
            if (local != null) {
                local.toFile().delete();
                local.getParent().toFile().delete();
            }
        }
    }

    /**
     * Rank 0, after every rank wrote its shard: the trainer log so far, the manifest, then the marker. Returns the
     * committed checkpoint.
     */
    public Committed commit(CheckpointManifest manifest, java.nio.file.Path trainerLog) {
        String dir = dir(manifest.step());
        byte[] json = manifest.toJson().getBytes(StandardCharsets.UTF_8);
        try {
            if (trainerLog != null && Files.isRegularFile(trainerLog)) {
                write(new Path(dir, TRAINER_LOG), Files.readAllBytes(trainerLog));
            }
            write(new Path(dir, MANIFEST), json);
            write(new Path(dir, MARKER), Sha256.of(json).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw io("cannot commit checkpoint " + dir, e);
        }
        return new Committed(dir, manifest);
    }

    /**
     * The last committed checkpoint (usually the one with the most steps; not after a restart from scratch or a
     * rollback, whose abandoned higher-step checkpoints stay until overwritten); incomplete saves are skipped.
     *
     * @throws CheckpointException when a checkpoint cannot be read (I/O, credentials, a foreign format): falling back
     *                             to an older one would silently lose progress
     */
    public Optional<Committed> newest() {
        return newest(c -> true);
    }

    /** The newest committed checkpoint written by driver launch {@code launchId} (a retried stage's own saves). */
    public Optional<Committed> newestOfLaunch(String launchId) {
        return newest(c -> launchId.equals(c.manifest().launchId()));
    }

    /** Of the committed checkpoints {@code wanted} accepts, the last committed one. */
    private Optional<Committed> newest(Predicate<Committed> wanted) {
        Committed newest = null;
        for (int step : steps()) {
            try {
                Committed c = read(dir(step));
                if (wanted.test(c)
                        && (newest == null
                                || c.manifest().committedAt()
                                        > newest.manifest().committedAt())) {
                    newest = c;
                }
            } catch (CheckpointException e) {
                if (!e.isUncommitted()) {
                    throw e;
                }
                LOG.warn("skipping {}: {}", dir(step), e.getMessage());
            }
        }
        return Optional.ofNullable(newest);
    }

    /**
     * Verifies and reads the checkpoint in {@code dir} (any Hadoop path).
     *
     * @throws CheckpointException when it has no valid marker (not completely written), its manifest cannot be
     *                             parsed, or a shard file is missing or of the wrong size
     */
    public Committed read(String dir) {
        Path d = new Path(dir);
        try {
            FileSystem dirFs = d.getFileSystem(fs.getConf());
            byte[] marker;
            byte[] json;
            try {
                marker = readAll(dirFs, new Path(d, MARKER));
            } catch (FileNotFoundException e) {
                throw CheckpointException.uncommitted(
                        dir,
                        dir + " has no " + MARKER + " marker: it was not "
                                + "completely written (a run stopped while saving it) and cannot be resumed from");
            }
            json = readAll(dirFs, new Path(d, MANIFEST));
            if (!Sha256.of(json).equals(new String(marker, StandardCharsets.US_ASCII).strip())) {
                throw CheckpointException.uncommitted(
                        dir,
                        dir + ": " + MANIFEST + " does not match its " + MARKER
                                + " marker (being rewritten, or overwritten after the commit); it cannot be resumed from");
            }
            CheckpointManifest manifest;
            try {
                manifest = CheckpointManifest.fromJson(new String(json, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(dir, dir + "/" + MANIFEST + ": " + e.getMessage(), e);
            }
            for (CheckpointManifest.Shard s : manifest.shards()) {
                Path file = new Path(d, s.file());
                long size;
                try {
                    size = dirFs.getFileStatus(file).getLen();
                } catch (FileNotFoundException e) {
                    throw CheckpointException.uncommitted(dir, dir + ": shard " + s.file() + " is missing");
                }
                if (size != s.bytes()) {
                    throw CheckpointException.uncommitted(
                            dir,
                            dir + ": shard " + s.file() + " has " + size + " bytes, the manifest says " + s.bytes()
                                    + " (truncated or replaced)");
                }
            }
            return new Committed(d.toString(), manifest);
        } catch (IOException e) {
            throw new CheckpointException(dir, "cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * After committing checkpoint {@code current}: keeps the {@code keep} newest committed checkpoints up to it (0
     * keeps all) and removes incomplete saves older than it. Checkpoints past {@code current} (an abandoned future of
     * a run resumed from an older checkpoint) are left alone: this run rewrites them when it gets there. Best effort:
     * a checkpoint that cannot be read is kept and logged, never deleted.
     */
    public void prune(int keep, int current) {
        List<Integer> committed = new ArrayList<>();
        List<Integer> partial = new ArrayList<>();
        for (int step : steps()) {
            if (step > current) {
                continue;
            }
            try {
                read(dir(step));
                committed.add(step);
            } catch (CheckpointException e) {
                if (e.isUncommitted()) {
                    partial.add(step);
                } else {
                    LOG.warn("not pruning {}: {}", dir(step), e.getMessage());
                }
            }
        }
        List<Integer> doomed = new ArrayList<>();
        if (keep > 0 && committed.size() > keep) {
            doomed.addAll(committed.subList(keep, committed.size()));
        }
        partial.stream().filter(s -> s < current).forEach(doomed::add);
        for (int step : doomed) {
            delete(step);
        }
    }

    /** Copies the trainer log saved with {@code committed} to local {@code target}; false if it has none. */
    public boolean fetchTrainerLog(Committed committed, java.nio.file.Path target) {
        Path log = new Path(committed.dir(), TRAINER_LOG);
        try {
            FileSystem dirFs = log.getFileSystem(fs.getConf());
            if (!dirFs.exists(log)) {
                return false;
            }
            Files.write(target, readAll(dirFs, log));
            return true;
        } catch (IOException e) {
            throw io("cannot read " + log, e);
        }
    }

    /** A reader of {@code committed}'s state ranges; close it to delete the local copies of remote shards. */
    public StateReader reader(Committed committed) {
        return new StateReader(committed, fs.getConf());
    }

    /** Steps of the checkpoint directories present, newest first. */
    List<Integer> steps() {
        List<Integer> steps = new ArrayList<>();
        try {
            if (!fs.exists(root)) {
                return steps;
            }
            for (FileStatus st : fs.listStatus(root)) {
                Matcher m = DIR.matcher(st.getPath().getName());
                if (st.isDirectory() && m.matches()) { // other names (checkpoint-final, ...) are not ours
                    steps.add(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw io("cannot list " + root, e);
        }
        steps.sort(Comparator.reverseOrder());
        return steps;
    }

    private void delete(int step) {
        try {
            fs.delete(new Path(dir(step)), true);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", dir(step), e.toString());
        }
    }

    private void write(Path file, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(bytes);
        }
    }

    private static byte[] readAll(FileSystem fileSystem, Path file) throws IOException {
        try (InputStream in = fileSystem.open(file)) {
            return in.readAllBytes();
        }
    }

    private CheckpointException io(String what, IOException e) {
        return new CheckpointException(
                root.toString(),
                what + ": " + e.getMessage() + " (check output_dir and the file system's credentials)",
                e);
    }
}
