package dev.sparktune.preprocess.api;

import org.apache.spark.sql.SparkSession;

/** The prep job: datasets in, packed Delta table + rejects table + stats out. */
public final class PrepJob {
    private PrepJob() {
    }

    public static PrepResult run(SparkSession spark, PrepConfig config) {
        throw new UnsupportedOperationException("being written");
    }
}
