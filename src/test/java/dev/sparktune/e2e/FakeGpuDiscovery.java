package dev.sparktune.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Spark's GPU scheduling without GPUs, as Spark's own tests do it: a resource discovery script that reports one
 * GPU per call, the first caller (a worker, or an executor on YARN) getting address 0 and the next 1, each claim an
 * atomic mkdir beside the script. A third call fails, as a node whose GPUs are all taken.
 */
final class FakeGpuDiscovery {
    private FakeGpuDiscovery() {}

    /** Writes the script into {@code dir} (its claims live there too: one directory per cluster). */
    static Path script(Path dir) throws IOException {
        Path discovery = dir.resolve("discover-gpu.sh");
        Files.writeString(discovery, """
                #!/usr/bin/env bash
                for a in 0 1; do
                  if mkdir "$(dirname "$0")/gpu-$a" 2>/dev/null; then
                    echo "{\\"name\\": \\"gpu\\", \\"addresses\\": [\\"$a\\"]}"
                    exit 0
                  fi
                done
                exit 1
                """);
        Files.setPosixFilePermissions(discovery, PosixFilePermissions.fromString("rwxr-xr-x"));
        return discovery;
    }
}
