package dev.sparktune.trainer.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * {@code checkpoint.json}: which run a checkpoint continues, after how many steps, and which file holds which ranges
 * of the flat trainable state. Every rank wrote the ranges it holds (one for no_shard and shard_grad_op; the root
 * parameters and one piece per decoder layer for full_shard) of the parameters and of both AdamW moments; together
 * they tile [0, trainableLength) exactly once, so a resume with any world size and sharding reads what it needs.
 *
 * @param format          {@value #FORMAT}
 * @param version         {@value #VERSION}
 * @param step            optimizer steps done (the resumed run starts at this 0-based step)
 * @param totalSteps      the run's planned steps when saved
 * @param worldSize       ranks that wrote it
 * @param sharding        fsdp of the run that wrote it
 * @param optimizerSteps  AdamW's step count (bias correction)
 * @param launchId        the driver launch that wrote it (a retried stage resumes only from its own launch's
 *                        checkpoints, so an explicit resume_from_checkpoint is not overtaken by older futures)
 * @param committedAt     when rank 0 committed it (epoch milliseconds): the newest checkpoint is the last committed,
 *                        not the one with most steps (a run restarted from scratch or rolled back leaves higher-step
 *                        checkpoints of the abandoned run behind)
 * @param run             the run it belongs to
 * @param shards          the shard files, by range
 */
public record CheckpointManifest(
        String format,
        int version,
        int step,
        int totalSteps,
        int worldSize,
        String sharding,
        long optimizerSteps,
        String launchId,
        long committedAt,
        RunIdentity run,
        List<Shard> shards) {
    public static final String FORMAT = "sparktune-checkpoint";
    public static final int VERSION = 2;
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Flat elements [start, end). */
    public record Range(long start, long end) {
        public Range {
            if (start < 0 || end <= start) {
                throw new IllegalArgumentException("empty or negative range [" + start + ", " + end + ")");
            }
        }

        public boolean overlaps(long from, long to) {
            return start < to && from < end;
        }
    }

    /**
     * One rank's file.
     *
     * @param file   name inside the checkpoint directory
     * @param ranges the flat ranges it holds
     * @param bytes  its size, to detect truncation before reading
     * @param sha256 its content hash, checked when it is read
     */
    public record Shard(String file, List<Range> ranges, long bytes, String sha256) {
        public Shard {
            if (file == null || !file.matches("[A-Za-z0-9._-]+") || file.startsWith(".")) {
                throw new IllegalArgumentException("shard file name must be a plain file name, got " + file);
            }
            if (bytes < 0) {
                throw new IllegalArgumentException("shard size must be >= 0, got " + bytes);
            }
            if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("shard " + file + ": sha256 must be 64 hex digits, got " + sha256);
            }
            ranges = List.copyOf(ranges);
        }
    }

    public CheckpointManifest {
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(launchId, "launchId");
        shards = List.copyOf(shards);
        List<Range> all = new ArrayList<>();
        shards.forEach(s -> all.addAll(s.ranges()));
        all.sort(Comparator.comparingLong(Range::start));
        long next = 0;
        for (Range r : all) {
            if (r.start() != next) {
                throw new IllegalArgumentException("shard ranges must tile the flat state exactly once: gap or "
                        + "overlap at " + next + " in " + shards);
            }
            next = r.end();
        }
        if (next != run.trainableLength()) {
            throw new IllegalArgumentException("shards cover " + next + " of " + run.trainableLength() + " elements");
        }
    }

    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses {@code checkpoint.json}.
     *
     * @throws IllegalArgumentException when it is not JSON of this format and version
     */
    public static CheckpointManifest fromJson(String json) {
        CheckpointManifest m;
        try {
            m = MAPPER.readValue(json, CheckpointManifest.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a checkpoint manifest: " + e.getOriginalMessage(), e);
        }
        if (!FORMAT.equals(m.format()) || m.version() != VERSION) {
            throw new IllegalArgumentException(
                    "format " + m.format() + " version " + m.version() + " is not " + FORMAT + " version " + VERSION);
        }
        return m;
    }
}
