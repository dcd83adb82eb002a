package dev.sparktune.trainer.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.trainer.TrainerException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each deployment's rule for what one rank may allocate, from the settings Spark and JavaCPP read. */
class MemoryBudgetTest {
    private static final long GB = 1L << 30;
    /** 24 GB machine, 20 GB available, this JVM at 1 GB with -Xmx 4g: JavaCPP allows 16 GB resident. */
    private static final HostMemory HOST = new HostMemory(24 * GB, 20 * GB, GB, 16 * GB, 4 * GB);

    @Test
    void localModeSharesWhatJavaCppAndTheMachineAllowAmongTheRanks() {
        MemoryBudget two = MemoryBudget.of("local[2]", Map.of(), HOST, 2);
        // JavaCPP's 16 GB binds (the machine would allow 21): less this process's 1 GB and the heap margin
        assertEquals((16 * GB - GB - MemoryBudget.LOCAL_HEAP_MARGIN) / 2, two.perRank());
        assertTrue(two.source().contains("maxPhysicalBytes") && two.source().contains("2 ranks"), two.source());
        assertTrue(two.raise().contains("--driver-memory"), two.raise());
        HostMemory unlimited = new HostMemory(24 * GB, 20 * GB, GB, 0, 4 * GB);
        MemoryBudget one = MemoryBudget.of("local[*]", Map.of(), unlimited, 1);
        assertEquals(21 * GB - GB - MemoryBudget.LOCAL_HEAP_MARGIN, one.perRank(), "the machine's available memory");
        assertTrue(one.source().contains("available memory"), one.source());
    }

    @Test
    void yarnRanksShareTheExecutorsMemoryOverhead() {
        MemoryBudget set = MemoryBudget.of(
                "yarn",
                Map.of(
                        "spark.executor.memory",
                        "8g",
                        "spark.executor.memoryOverhead",
                        "12g",
                        "spark.executor.cores",
                        "4",
                        "spark.task.cpus",
                        "2"),
                HOST,
                4);
        assertEquals((12 * GB - MemoryBudget.EXECUTOR_NATIVE_BASELINE) / 2, set.perRank(), "2 task slots each");
        assertTrue(
                set.source().contains("memoryOverhead") && set.source().contains("2 ranks per executor"), set.source());
        // the default overhead, max(384 MB, 10%), leaves nothing once the native baseline is paid
        MemoryBudget byDefault = MemoryBudget.of("yarn", Map.of("spark.executor.memory", "4g"), HOST, 2);
        assertEquals(0, byDefault.perRank());
        assertTrue(
                byDefault.source().contains("the default") && byDefault.raise().contains("memoryOverhead"),
                byDefault.source());
        // JavaCPP's 4 × heap binds when the overhead is larger than 3 × the heap
        MemoryBudget javacpp = MemoryBudget.of(
                "k8s://https://api:6443",
                Map.of("spark.executor.memory", "1g", "spark.executor.memoryOverhead", "20g"),
                HOST,
                1);
        assertEquals(4 * GB - GB - MemoryBudget.EXECUTOR_NATIVE_BASELINE, javacpp.perRank());
        assertTrue(
                javacpp.source().startsWith("Kubernetes") && javacpp.source().contains("maxPhysicalBytes"),
                javacpp.source());
    }

    @Test
    void standaloneExecutorsAreBoundedByJavaCppUnlessItIsOff() {
        MemoryBudget standalone = MemoryBudget.of("spark://m:7077", Map.of("spark.executor.memory", "6g"), HOST, 2);
        assertEquals(4 * 6 * GB - 6 * GB - MemoryBudget.EXECUTOR_NATIVE_BASELINE, standalone.perRank());
        MemoryBudget cluster = MemoryBudget.of("local-cluster[2,1,1024]", Map.of(), HOST, 2);
        assertEquals(3 * GB - MemoryBudget.EXECUTOR_NATIVE_BASELINE, cluster.perRank(), "1024 MB executors");
        MemoryBudget off = MemoryBudget.of(
                "spark://m:7077",
                Map.of(
                        "spark.executor.memory",
                        "6g",
                        "spark.executor.extraJavaOptions",
                        "-XX:+UseG1GC -Dorg.bytedeco.javacpp.maxPhysicalBytes=0"),
                HOST,
                2);
        assertEquals(Long.MAX_VALUE, off.perRank());
        MemoryBudget set = MemoryBudget.of(
                "spark://m:7077",
                Map.of(
                        "spark.executor.memory",
                        "6g",
                        "spark.executor.extraJavaOptions",
                        "-Dorg.bytedeco.javacpp.maxPhysicalBytes=40g"),
                HOST,
                2);
        assertEquals(40 * GB - 6 * GB - MemoryBudget.EXECUTOR_NATIVE_BASELINE, set.perRank());
    }

    @Test
    void sizesReadAsSparkWritesThem() {
        assertEquals(512L << 20, MemoryBudget.bytes("512m"));
        assertEquals(4 * GB, MemoryBudget.bytes("4G"));
        assertEquals(2048L << 10, MemoryBudget.bytes("2048k"));
        assertEquals(3 * GB, MemoryBudget.bytes("3gb"));
        assertEquals(12345, MemoryBudget.bytes("12345"));
        String message = assertThrows(TrainerException.class, () -> MemoryBudget.bytes("lots"))
                .getMessage();
        assertTrue(message.contains("\"lots\""), message);
    }
}
