package dev.sparktune.trainer.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuSchedulingExceptionTest {
    @Test
    void gpuTrainingIsRefusedWhereTasksWouldGetNoGpuNamingTheSettings() {
        String local = assertThrows(
                        GpuSchedulingException.class, () -> GpuSchedulingException.require("local[2]", "1", Device.GPU))
                .getMessage();
        assertTrue(
                local.contains("local mode (local[2]) assigns no GPU") && local.contains("train.device = cpu"), local);
        for (String amount : new String[] {null, "0", "0.5", "one"}) {
            String m = assertThrows(
                            GpuSchedulingException.class,
                            () -> GpuSchedulingException.require("yarn", amount, Device.GPU),
                            String.valueOf(amount))
                    .getMessage();
            assertTrue(
                    m.contains("spark.task.resource.gpu.amount is " + (amount == null ? "unset" : "'" + amount + "'"))
                            && m.contains("spark.executor.resource.gpu.discoveryScript"),
                    m);
        }
        String rank = GpuSchedulingException.noneAssigned(1, List.of("fpga")).getMessage();
        assertTrue(rank.startsWith("rank 1: train.device = gpu but Spark assigned this task no GPU"), rank);
    }

    @Test
    void oneGpuPerTaskOnAClusterOrCpuTraining() {
        assertDoesNotThrow(() -> GpuSchedulingException.require("spark://host:7077", "1", Device.GPU));
        assertDoesNotThrow(() -> GpuSchedulingException.require("local-cluster[2,1,1024]", " 1.0 ", Device.GPU));
        assertDoesNotThrow(() -> GpuSchedulingException.require("local[2]", null, Device.CPU));
    }
}
