package dev.sparktune.trainer.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DynamicAllocationExceptionTest {
    @Test
    void trainingUnderDynamicAllocationIsRefusedNamingTheSettingOnEveryClusterMaster() {
        for (String master :
                List.of("yarn", "k8s://https://api:6443", "spark://host:7077", "local-cluster[2,1,1024]")) {
            DynamicAllocationException e = assertThrows(
                    DynamicAllocationException.class, () -> DynamicAllocationException.require(master, " TRUE ", 4));
            assertEquals(master, e.master());
            String m = e.getMessage();
            assertTrue(m.startsWith("spark.dynamicAllocation.enabled = true: training runs its 4 ranks"), m);
            assertTrue(
                    m.contains("spark.dynamicAllocation.enabled = false")
                            && m.contains("spark.executor.instances >= train.world_size"),
                    m);
        }
    }

    @Test
    void localMastersAndStaticAllocationTrain() {
        // Spark turns dynamic allocation off on local masters itself
        assertDoesNotThrow(() -> DynamicAllocationException.require("local[2]", "true", 2));
        assertDoesNotThrow(() -> DynamicAllocationException.require("local", "true", 1));
        for (String setting : new String[] {null, "false"}) {
            assertDoesNotThrow(() -> DynamicAllocationException.require("yarn", setting, 2), String.valueOf(setting));
        }
    }
}
