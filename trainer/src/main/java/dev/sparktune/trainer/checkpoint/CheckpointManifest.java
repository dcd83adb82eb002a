package dev.sparktune.trainer.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Objects;

/**
 * {@code checkpoint.json}: which run a checkpoint continues, after how many steps, and which file holds which range of
 * the flat trainable state. Every rank wrote elements [start, end) of the parameters and of both AdamW moments; the
 * ranges tile [0, trainableLength) in order, so a resume with any world size reads the ranges it needs.
 *
 * @param format          {@value #FORMAT}
 * @param version         {@value #VERSION}
 * @param step            optimizer steps done (the resumed run starts at this 0-based step)
 * @param totalSteps      the run's planned steps when saved
 * @param worldSize       ranks that wrote it
 * @param sharding        fsdp of the run that wrote it
 * @param optimizerSteps  AdamW's step count (bias correction)
 * @param run             the run it belongs to
 * @param shards          the shard files, by range
 */
public record CheckpointManifest(String format, int version, int step, int totalSteps, int worldSize,
                                 String sharding, long optimizerSteps, RunIdentity run, List<Shard> shards) {
    public static final String FORMAT = "sparktune-checkpoint";
    public static final int VERSION = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One rank's file.
     *
     * @param file   name inside the checkpoint directory
     * @param start  first flat element it holds
     * @param end    one past the last
     * @param bytes  its size, to detect truncation before reading
     */
    public record Shard(String file, long start, long end, long bytes) {
    }

    public CheckpointManifest {
        Objects.requireNonNull(run, "run");
        shards = List.copyOf(shards);
        long next = 0;
        for (Shard s : shards) {
            if (s.start() != next || s.end() <= s.start()) {
                throw new IllegalArgumentException("shard ranges must tile the flat state in order: " + shards);
            }
            next = s.end();
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
            throw new IllegalArgumentException("format " + m.format() + " version " + m.version() + " is not "
                    + FORMAT + " version " + VERSION);
        }
        return m;
    }
}
