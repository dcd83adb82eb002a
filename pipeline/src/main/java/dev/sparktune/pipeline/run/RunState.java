package dev.sparktune.pipeline.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The run verb's record of finished stages (run_state.json on any Hadoop FS): per stage the fingerprint of what it
 * was run with and a summary of what it produced. Each finished stage is written at once (to a temporary file, then
 * renamed), so a driver killed at any point leaves the record of every stage it finished, and nothing else.
 */
public final class RunState {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path file;
    private final FileSystem fs;
    private final ObjectNode stages;

    private RunState(Path file, FileSystem fs, ObjectNode stages) {
        this.file = file;
        this.fs = fs;
        this.stages = stages;
    }

    /** Reads the record at {@code stateFile}, or starts an empty one when there is none. */
    public static RunState open(String stateFile, Configuration conf) {
        Path file = new Path(stateFile);
        try {
            FileSystem fs = file.getFileSystem(conf);
            Path source = file;
            if (!fs.exists(file)) {
                // killed between removing the old record and renaming the new one into place
                source = temporary(file);
                if (!fs.exists(source)) {
                    return new RunState(file, fs, MAPPER.createObjectNode());
                }
            }
            try (InputStream in = fs.open(source)) {
                JsonNode root = MAPPER.readTree(in);
                if (root == null || !root.path("stages").isObject()) {
                    throw new IllegalStateException(stateFile + " is not a SparkTune run state (no \"stages\" object);"
                            + " delete it to start the run from its first stage");
                }
                return new RunState(file, fs, (ObjectNode) root.get("stages").deepCopy());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the run state " + stateFile + ": " + e.getMessage(), e);
        }
    }

    private static Path temporary(Path file) {
        return new Path(file.getParent(), "." + file.getName() + ".tmp");
    }

    /** The summary the stage recorded when it finished with {@code fingerprint}; empty if it did not. */
    public Optional<JsonNode> finished(String stage, String fingerprint) {
        JsonNode s = stages.get(stage);
        if (s == null || !fingerprint.equals(s.path("fingerprint").asText())) {
            return Optional.empty();
        }
        return Optional.of(s.path("result"));
    }

    /** Records {@code stage} as finished and writes the whole record. */
    public void markFinished(String stage, String fingerprint, JsonNode result) {
        ObjectNode s = MAPPER.createObjectNode();
        s.put("fingerprint", fingerprint);
        s.put("finished_at", Instant.now().toString());
        s.set("result", result);
        stages.set(stage, s);
        ObjectNode root = MAPPER.createObjectNode();
        root.set("stages", stages);
        Path tmp = temporary(file);
        try {
            fs.mkdirs(file.getParent());
            try (OutputStream out = fs.create(tmp, true)) {
                out.write(MAPPER.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(root)
                        .getBytes(StandardCharsets.UTF_8));
            }
            fs.delete(file, false);
            if (!fs.rename(tmp, file)) {
                throw new IOException("cannot rename " + tmp + " to " + file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run state " + file + ": " + e.getMessage(), e);
        }
    }
}
