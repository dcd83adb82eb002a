package dev.sparktune.trainer.plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;

/**
 * Memory facts of this machine and this JVM that bound what a rank in it may allocate.
 *
 * @param total            physical memory of the machine (MemTotal)
 * @param available        memory the kernel could still hand out (MemAvailable)
 * @param processRss       this process's resident set now
 * @param maxPhysicalBytes JavaCPP's limit on this process's resident set, which ND4J's allocations are checked
 *                         against (an {@code OutOfMemoryError "Physical memory usage is too high"} beyond it); by
 *                         default 4 × -Xmx; 0 = none
 * @param maxHeap          -Xmx
 */
public record HostMemory(long total, long available, long processRss, long maxPhysicalBytes, long maxHeap) {
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path STATUS = Path.of("/proc/self/status");

    /** This machine and JVM, from /proc (0 for what it cannot read). */
    public static HostMemory current() {
        return new HostMemory(
                kibibyteField(MEMINFO, "MemTotal:"),
                kibibyteField(MEMINFO, "MemAvailable:"),
                kibibyteField(STATUS, "VmRSS:"),
                Pointer.maxPhysicalBytes(),
                Runtime.getRuntime().maxMemory());
    }

    /** This process's peak resident set so far (VmHWM), 0 when it cannot be read. */
    public static long peakRss() {
        return kibibyteField(STATUS, "VmHWM:");
    }

    /** The bytes of a {@code Key:   123 kB} line of a /proc file; 0 when it cannot be read. */
    private static long kibibyteField(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length())
                                    .replace("kB", "")
                                    .strip())
                            * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
