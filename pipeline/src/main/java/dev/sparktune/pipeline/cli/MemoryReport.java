package dev.sparktune.pipeline.cli;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.pipeline.config.SparkSettings;
import dev.sparktune.pipeline.config.SubmitHadoopConf;
import dev.sparktune.trainer.api.DynamicAllocationException;
import dev.sparktune.trainer.api.GpuSchedulingException;
import dev.sparktune.trainer.api.MemoryCheck;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.api.TrainJob;
import dev.sparktune.trainer.model.HadoopModelDir;
import dev.sparktune.trainer.plan.HostMemory;
import dev.sparktune.trainer.plan.MemoryBudget;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The dry run's memory plan for a training run, checked against the budget the same settings give (the launch
 * checks again with the Spark application's own settings and the table's seq_len).
 */
final class MemoryReport {
    private MemoryReport() {}

    /**
     * @param seqLen tokens per packed row (the data.cutoff_len prep writes rows of)
     * @return the plan and budget lines
     * @throws DynamicAllocationException the application would run under dynamic allocation, which refuses barrier stages
     * @throws GpuSchedulingException     train.device = gpu where tasks would be assigned no GPU
     * @throws dev.sparktune.trainer.api.NotEnoughMemoryException the plan does not fit, with the settings that would
     */
    static List<String> forTrain(TrainConfig train, SparkSettings spark, int seqLen) {
        Configuration hadoop = SubmitHadoopConf.of(spark.conf());
        HadoopModelDir model = HadoopModelDir.of(train.modelPath(), hadoop);
        ModelConfig config = HfConfigReader.parse(model.configJson(), train.modelPath() + "/config.json");
        Map<String, String> conf = submitted(spark);
        String master = requireBarrierStage(train, spark);
        MemoryBudget budget = MemoryBudget.of(
                master, conf, HostMemory.current(), train.parallelism().worldSize());
        // a continued adapter's rank is the adapter's, not train.lora_rank
        return MemoryCheck.require(
                        TrainJob.withAdapterSettings(train, hadoop, config),
                        config,
                        model.storedDataType(),
                        seqLen,
                        budget)
                .report();
    }

    /**
     * What the barrier stage needs of the application, checked as the launch checks it (also where the model to plan
     * for does not exist yet: a run that creates it with init_model); the master.
     */
    static String requireBarrierStage(TrainConfig train, SparkSettings spark) {
        Map<String, String> conf = submitted(spark);
        String master = conf.getOrDefault("spark.master", spark.master());
        DynamicAllocationException.require(
                master,
                conf.get(DynamicAllocationException.SETTING),
                train.parallelism().worldSize());
        GpuSchedulingException.require(
                master,
                conf.get(GpuSchedulingException.TASK_AMOUNT),
                train.parallelism().device());
        return master;
    }

    /** The config's Spark settings under those spark-submit hands the driver as system properties, which win. */
    private static Map<String, String> submitted(SparkSettings spark) {
        Map<String, String> conf = new HashMap<>(spark.conf());
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("spark.")) {
                conf.put(key, System.getProperty(key));
            }
        }
        return conf;
    }
}
