package dev.sparktune.pipeline.config;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * A config file given as a Hadoop URI ({@code hdfs://}, {@code s3a://}, {@code abfs://}, {@code gs://}, ...). Cluster
 * deploy mode needs it on standalone and Kubernetes, where a local file is not on the driver's host (YARN puts
 * {@code --files} into the driver's working directory; the others do not). It is read with the Hadoop settings of
 * the JVM ({@link SubmitHadoopConf}): the file's own spark section cannot help to read the file itself.
 */
final class RemoteConfigFile {
    private static final Pattern URI_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    private static final long MAX_BYTES = 16L << 20;

    private RemoteConfigFile() {}

    /** A URI with a scheme other than {@code file}. */
    static boolean isRemote(String location) {
        return URI_SCHEME.matcher(location).matches() && !location.regionMatches(true, 0, "file:", 0, 5);
    }

    /**
     * Copies the file into a new local temporary directory under its own name (the name says its format) and
     * returns the copy.
     */
    static Path fetch(String location) throws IOException {
        URI uri = URI.create(location);
        String uriPath = uri.getPath() == null ? "" : uri.getPath();
        String name = uriPath.substring(uriPath.lastIndexOf('/') + 1);
        if (name.isEmpty()) {
            throw new IOException("the URI names no file");
        }
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = path.getFileSystem(SubmitHadoopConf.of(Map.of()));
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new IOException("config file not found", e);
        }
        if (!status.isFile()) {
            throw new IOException("config file not found (a directory)");
        }
        if (status.getLen() > MAX_BYTES) {
            throw new IOException("larger than " + (MAX_BYTES >> 20) + " MiB: not a config file");
        }
        Path copy = Files.createTempDirectory("sparktune-config-").resolve(name);
        try (InputStream in = fs.open(path)) {
            Files.copy(in, copy);
        }
        copy.toFile().deleteOnExit();
        copy.getParent().toFile().deleteOnExit();
        return copy;
    }
}
