package dev.sparktune.preprocess;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test class on its own {@link LocalSpark} session, named after the class, with a scratch directory for the
 * session's warehouse and the class's tables: started before the class's own {@code @BeforeAll} methods (JUnit runs
 * a superclass's first), stopped after its {@code @AfterAll} methods. The fields are static, shared by every
 * subclass: right for JUnit's default of one test class at a time.
 *
 * <p>Shared with the trainer's tests through preprocess's test-jar.
 */
public abstract class LocalSparkTestBase {
    @TempDir
    protected static Path scratch;

    protected static SparkSession spark;

    @BeforeAll
    protected static void startSpark(TestInfo test) {
        spark = LocalSpark.start(test.getTestClass().orElseThrow().getSimpleName(), scratch);
    }

    @AfterAll
    protected static void stopSpark() {
        spark.stop();
    }
}
