package dev.sparktune.trainer.api;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.checkpoint.RunIdentity;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.data.TableTokenizerCheck;
import dev.sparktune.trainer.model.ModelDirectory;
import dev.sparktune.trainer.driver.BarrierLauncher;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code train} verb's driver side: validate the model against the pinned table, plan the steps, and run the
 * whole training as one barrier stage of {@code world_size} ranks ({@link BarrierLauncher}).
 */
public final class TrainJob {
    private TrainJob() {
    }

    /**
     * Trains, resuming from a checkpoint when there is one to resume: resume_from_checkpoint if set, else the newest
     * committed checkpoint in output_dir (none with overwrite_output_dir). A resumed run trains on the table version
     * its checkpoint names. The base model may be on any Hadoop file system; the driver reads only its config.json.
     *
     * @throws CheckpointException the checkpoint to resume belongs to another run (table, trainable parameters,
     *                             global batch, seed) or is not committed
     */
    public static TrainResult run(SparkSession spark, TrainConfig config) {
        ModelDirectory modelDir = ModelDirectory.of(config.modelPath(), spark.sparkContext().hadoopConfiguration());
        ModelConfig model = HfConfigReader.parse(modelDir.configJson(), config.modelPath() + "/config.json");
        CheckpointStore store = new CheckpointStore(config.outputDir(), spark.sparkContext().hadoopConfiguration());
        CheckpointStore.Committed resume = config.overwriteOutputDir() ? null
                : config.resumeFromCheckpoint().isEmpty() ? store.newest().orElse(null)
                : store.read(config.resumeFromCheckpoint());
        PinnedSnapshot snapshot = resume == null
                ? PinnedSnapshot.pin(spark, config.table(), PackedTable.SPLIT_TRAIN)
                : PinnedSnapshot.pin(spark, config.table(), PackedTable.SPLIT_TRAIN, resume.manifest().run().tableVersion());
        TableTokenizerCheck.check(snapshot, config.modelPath(), model, spark.sparkContext().hadoopConfiguration());
        RunIdentity identity = identity(config, snapshot, model, modelDir);
        if (resume != null) {
            checkResumable(resume, identity, config);
        }
        return BarrierLauncher.launch(spark, config, snapshot, identity, resume, model, modelDir.storedDataType());
    }

    static RunIdentity identity(TrainConfig config, PinnedSnapshot snapshot, ModelConfig model,
                                ModelDirectory modelDir) {
        String finetuning = config.finetuningType() == FinetuningType.LORA ? "lora(alpha=" + config.loraAlpha()
                + ", dropout=" + config.loraDropout() + ", rslora=" + config.useRslora()
                + (config.loraplusLrRatio() > 0 ? ", loraplus_lr_ratio=" + config.loraplusLrRatio() : "") + ")"
                : config.finetuningType().key();
        return RunIdentity.of(snapshot.path(), snapshot.version(), modelDir.fingerprint(), finetuning,
                config.trainableLayout(model), config.effectiveGlobalBatchRows(), config.seed());
    }

    private static void checkResumable(CheckpointStore.Committed resume, RunIdentity identity, TrainConfig config) {
        List<String> differences = identity.differencesFrom(resume.manifest().run());
        if (differences.isEmpty()) {
            return;
        }
        String batchHint = config.globalBatchRows() == 0
                && resume.manifest().run().globalBatchRows() != identity.globalBatchRows()
                ? " To resume on " + config.worldSize() + " ranks, set train.global_batch_rows = "
                        + resume.manifest().run().globalBatchRows() + " (the global batch is per-device batch x "
                        + "accumulation x world_size unless fixed)."
                : "";
        throw new CheckpointException(resume.dir(), resume.dir() + " cannot be resumed by this run: "
                + String.join("; ", differences) + "." + batchHint + " To start from scratch, set "
                + "train.overwrite_output_dir = true (the run ignores output_dir's checkpoints and overwrites them as it"
                + " goes) or choose another output_dir.");
    }
}
