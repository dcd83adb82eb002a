package dev.sparktune.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository root (and files under it) from any module's tests. */
public final class RepoPaths {
    private RepoPaths() {}

    /**
     * The repository root: the {@code sparktune.repo.root} system property the build sets, else the nearest
     * ancestor of the working directory holding {@code conf/jvm.properties}.
     */
    public static Path root() {
        String configured = System.getProperty("sparktune.repo.root");
        if (configured != null && Files.isRegularFile(Path.of(configured, "conf", "jvm.properties"))) {
            return Path.of(configured).toAbsolutePath();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("conf").resolve("jvm.properties"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the SparkTune repository root above "
                + Path.of("").toAbsolutePath() + "; run the tests from the repository or set -Dsparktune.repo.root");
    }

    public static Path resolve(String relative) {
        return root().resolve(relative);
    }
}
