package dev.sparktune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.testkit.TensorAssertions;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.preprocess.TestPrepConfig;
import dev.sparktune.preprocess.api.PrepJob;
import dev.sparktune.trainer.api.Device;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.api.TrainJob;
import dev.sparktune.trainer.api.TrainResult;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on a real multi-process cluster (local-cluster: a master and two workers on 127.0.0.1, each executor its
 * own JVM), ranks joined by the TCP ring across processes. One executor JVM is killed (SIGKILL) after the first
 * checkpoint commits: the barrier stage fails, Spark retries it on a relaunched executor, every rank resumes from the
 * newest committed checkpoint, and the final adapter equals an uninterrupted run's. The ranks train with device gpu
 * on fake GPUs (a discovery script per worker), each reading the one Spark assigned its task.
 */
class LocalClusterTrainEndToEndTest {
    @TempDir
    static Path scratch;

    static SparkSession spark;
    static String table;
    static Path model;

    @BeforeAll
    static void startCluster() throws Exception {
        // GPU scheduling without GPUs, as Spark's own tests do it: each worker's discovery script reports the one GPU
        // of its "node" (the first worker to ask gets 0, the next 1), each executor and each task takes one
        Path discovery = FakeGpuDiscovery.script(scratch);
        spark = LocalClusterSession.start(
                "LocalClusterTrainEndToEndTest",
                scratch,
                2,
                Map.of(
                        "spark.sql.shuffle.partitions", "2",
                        "spark.executorEnv.OMP_NUM_THREADS", "1",
                        "spark.worker.resource.gpu.amount", "1",
                        "spark.worker.resource.gpu.discoveryScript", discovery.toString(),
                        "spark.executor.resource.gpu.amount", "1",
                        "spark.task.resource.gpu.amount", "1"));
        PrepJob.run(
                spark,
                TestPrepConfig.demoAlpaca(scratch.resolve("prep")).partitions(2).build());
        table = scratch.resolve("prep/packed").toString();
        model = scratch.resolve("model");
        TinyModels.writeQwen3(model, 1, 0.05);
    }

    @AfterAll
    static void stopCluster() {
        LocalClusterSession.stop(spark);
    }

    static TrainConfig config(Path out) {
        return TrainConfig.builder()
                .modelPath(model.toString())
                .table(table)
                .outputDir(out.toString())
                .finetuningType(FinetuningType.LORA)
                .lora(4, 8, 0, "all", false)
                .learningRate(5e-3)
                .perDeviceBatchRows(2)
                .globalBatchRows(4)
                .maxSteps(12)
                .saveSteps(2)
                .saveTotalLimit(2)
                .loggingSteps(5)
                .worldSize(2)
                .sharding(Sharding.SHARD_GRAD_OP)
                .device(Device.GPU)
                .lossChunkTokens(128)
                .build();
    }

    /**
     * The executor JVMs this test JVM's local-cluster workers started. Their command line is read from /proc: the
     * JDK's ProcessHandle.Info cuts it short, before the main class that follows the long class path.
     */
    static List<ProcessHandle> executors() {
        return ProcessHandle.current()
                .descendants()
                .filter(p -> {
                    try {
                        return Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"))
                                .contains("CoarseGrainedExecutorBackend");
                    } catch (IOException e) {
                        return false; // exited meanwhile
                    }
                })
                .toList();
    }

    static boolean markerComplete(Path marker) {
        try {
            return Files.size(marker) == 64;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void killingAnExecutorMidRunStillGivesTheUninterruptedRunsAdapter() throws Exception {
        assertEquals(2, executors().size(), "two executor JVMs: " + executors());
        Path uninterrupted = scratch.resolve("uninterrupted");
        TrainResult reference = TrainJob.run(spark, config(uninterrupted));
        assertEquals(0, reference.firstStep());
        assertEquals(12, reference.steps().size());
        // each rank read the GPU its task was assigned; the CPU backend trained as it does without one
        assertEquals(
                List.of("0", "1"), reference.gpuAddresses().stream().sorted().toList());

        Path interrupted = scratch.resolve("interrupted");
        Path firstCommit = interrupted.resolve(CheckpointStore.PREFIX + 2).resolve(CheckpointStore.MARKER);
        CompletableFuture<Optional<Long>> killer = CompletableFuture.supplyAsync(() -> {
            Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
            // the marker is complete once it holds the manifest's sha256 (64 hex digits); a kill while it is being
            // written leaves a checkpoint that is, rightly, not resumed from
            while (!markerComplete(firstCommit) && Instant.now().isBefore(deadline)) {
                // a short poll, not a spin: on 2 cores a spinning thread takes one from the executors it waits on
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            List<ProcessHandle> victims = executors();
            if (!markerComplete(firstCommit) || victims.isEmpty()) {
                return Optional.empty();
            }
            ProcessHandle victim = victims.get(0);
            victim.destroyForcibly();
            return Optional.of(victim.pid());
        });
        TrainResult resumed = TrainJob.run(spark, config(interrupted));
        Optional<Long> killed = killer.get(1, TimeUnit.MINUTES);
        assertTrue(killed.isPresent(), "an executor was killed after checkpoint-2 committed");
        assertTrue(
                resumed.firstStep() >= 2 && resumed.firstStep() < 12,
                "the retried stage resumed from a committed checkpoint, not from scratch: first step "
                        + resumed.firstStep());
        assertTrue(executors().stream().noneMatch(p -> p.pid() == killed.get()), "the killed JVM is gone");
        assertEquals(
                List.of("0", "1"),
                resumed.gpuAddresses().stream().sorted().toList(),
                "the relaunched executor holds its worker's GPU again");

        TensorAssertions.assertAdaptersClose(uninterrupted, interrupted, 1e-6, "interrupted vs uninterrupted");
        for (int s = 0; s < resumed.steps().size(); s++) {
            assertEquals(
                    reference.steps().get(resumed.firstStep() + s).loss(),
                    resumed.steps().get(s).loss(),
                    1e-6,
                    "loss of step " + (resumed.firstStep() + s));
        }
        try (var dirs = Files.list(interrupted)) {
            assertEquals(
                    List.of(CheckpointStore.PREFIX + 10, CheckpointStore.PREFIX + 12),
                    dirs.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith(CheckpointStore.PREFIX))
                            .sorted()
                            .toList(),
                    "save_total_limit 2");
        }
    }
}
