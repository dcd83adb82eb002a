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

    /** This machine and JVM, from /proc (0 for what it cannot read). */
    public static HostMemory current() {
        return new HostMemory(meminfo("MemTotal:"), meminfo("MemAvailable:"), readRss(),
                Pointer.maxPhysicalBytes(), Runtime.getRuntime().maxMemory());
    }

    /** This process's peak resident set so far (VmHWM), 0 when it cannot be read. */
    public static long peakRss() {
        return status("VmHWM:");
    }

    private static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").strip()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static long readRss() {
        return status("VmRSS:");
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").strip()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
