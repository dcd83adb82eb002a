package dev.sparktune.trainer.task;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Copies rank 0's local results into {@code output_dir} on any Hadoop file system (local, hdfs://, s3a://) with plain
 * create-and-write streams (no rename-based commit: object stores have none). The trainer log goes last, so a
 * directory with {@value #TRAINER_LOG} holds a complete model.
 */
final class OutputPublisher {
    static final String TRAINER_LOG = "trainer_log.jsonl";
    /** The log of a run stopped by a non-finite loss: published under this name, which vouches for no model. */
    static final String STOPPED_LOG = "trainer_log.stopped.jsonl";

    private OutputPublisher() {}

    static void publish(Path localDir, String outputDir, Configuration conf) {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(outputDir);
        try {
            FileSystem fs = target.getFileSystem(conf);
            List<Path> files;
            try (Stream<Path> walk = Files.walk(localDir)) {
                files = walk.filter(Files::isRegularFile)
                        .sorted(Comparator.comparing(
                                        (Path p) -> p.getFileName().toString().equals(TRAINER_LOG))
                                .thenComparing(Path::toString))
                        .toList();
            }
            for (Path f : files) {
                String rel = localDir.relativize(f).toString().replace('\\', '/');
                if (rel.startsWith("model/")) {
                    rel = rel.substring("model/".length());
                }
                try (InputStream in = Files.newInputStream(f);
                        OutputStream out = fs.create(new org.apache.hadoop.fs.Path(target, rel), true)) {
                    in.transferTo(out);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write the training output to " + outputDir + ": " + e.getMessage()
                            + " (check the path and the file system's credentials)",
                    e);
        }
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is not worth failing a finished run
        }
    }
}
