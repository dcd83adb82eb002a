package dev.sparktune.preprocess.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.ShippedToExecutor;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class HadoopConfEntriesTest {

    @Test
    void aTaskGetsTheDriversSettingsThroughJavaSerialization() throws Exception {
        Configuration driver = new Configuration();
        driver.set("fs.s3a.endpoint", "http://127.0.0.1:9000");
        driver.set("fs.s3a.secret.key", "hunter2");
        driver.set("sparktune.test.url", "${fs.s3a.endpoint}/bucket");

        HadoopConfEntries shipped = ShippedToExecutor.copy(HadoopConfEntries.of(driver));
        Configuration task = shipped.toConfiguration();

        assertEquals(HadoopConfEntries.of(driver), shipped);
        assertEquals(driver.size(), task.size(), "defaults travel too");
        assertEquals(driver.get("fs.defaultFS"), task.get("fs.defaultFS"));
        assertEquals("hunter2", task.get("fs.s3a.secret.key"));
        assertEquals("${fs.s3a.endpoint}/bucket", task.getRaw("sparktune.test.url"), "values travel unexpanded");
        assertEquals("http://127.0.0.1:9000/bucket", task.get("sparktune.test.url"));
        assertTrue(shipped.toString().matches("HadoopConfEntries\\[\\d+ entries]"), shipped.toString());
        assertFalse(shipped.toString().contains("hunter2"));
    }

    @Test
    void aConfigurationWithoutDefaultsArrivesWithExactlyItsOwnEntries() {
        Configuration driver = new Configuration(false);
        driver.set("fs.s3a.access.key", "AKIA");
        driver.set("fs.s3a.path.style.access", "true");

        Configuration task = HadoopConfEntries.of(driver).toConfiguration();

        assertEquals(2, task.size(), "no default resources are loaded on top");
        assertEquals("AKIA", task.get("fs.s3a.access.key"));
        assertTrue(task.getBoolean("fs.s3a.path.style.access", false));
    }
}
