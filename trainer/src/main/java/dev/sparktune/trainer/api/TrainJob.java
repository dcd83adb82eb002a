package dev.sparktune.trainer.api;

import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.checkpoint.CheckpointException;
import dev.sparktune.trainer.checkpoint.CheckpointStore;
import dev.sparktune.trainer.checkpoint.RunIdentity;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.data.TableTokenizerCheck;
import dev.sparktune.trainer.driver.BarrierLauncher;
import dev.sparktune.trainer.model.AdapterDirectory;
import dev.sparktune.trainer.model.HadoopModelDir;
import dev.sparktune.trainer.reference.RefLogProbs;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code train} verb's driver side: validate the model against the pinned table, plan the steps, and run the
 * whole training as one barrier stage of {@code world_size} ranks ({@link BarrierLauncher}).
 */
public final class TrainJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    private TrainJob() {}

    /**
     * Trains, resuming from a checkpoint when there is one to resume: resume_from_checkpoint if set, else the newest
     * committed checkpoint in output_dir (none with overwrite_output_dir). A resumed run trains on the table version
     * its checkpoint names. The base model may be on any Hadoop file system; the driver reads only its config.json.
     *
     * @throws CheckpointException the checkpoint to resume belongs to another run (table, trainable parameters,
     *                             global batch, seed) or is not committed
     */
    public static TrainResult run(SparkSession spark, TrainConfig requested) {
        // before any Spark job: Spark itself fails the barrier stage only once it is submitted
        DynamicAllocationException.require(
                spark.sparkContext(), requested.parallelism().worldSize());
        GpuSchedulingException.require(
                spark.sparkContext(), requested.parallelism().device());
        AdapterDirectory adapter = requested.finetuning().adapterNameOrPath().isEmpty()
                ? null
                : AdapterDirectory.of(
                        requested.finetuning().adapterNameOrPath(),
                        spark.sparkContext().hadoopConfiguration());
        HadoopModelDir modelDir =
                HadoopModelDir.of(requested.modelPath(), spark.sparkContext().hadoopConfiguration());
        ModelConfig model = HfConfigReader.parse(modelDir.configJson(), requested.modelPath() + "/config.json");
        TrainConfig config = withAdapterSettings(requested, adapter, model);
        CheckpointStore store =
                new CheckpointStore(config.outputDir(), spark.sparkContext().hadoopConfiguration());
        CheckpointStore.Committed resume = config.checkpointing().overwriteOutputDir()
                ? null
                : config.checkpointing().resumeFromCheckpoint().isEmpty()
                        ? store.newest().orElse(null)
                        : store.read(config.checkpointing().resumeFromCheckpoint());
        PinnedSnapshot snapshot = resume == null
                ? PinnedSnapshot.pin(spark, config.table(), PackedTable.SPLIT_TRAIN)
                : PinnedSnapshot.pin(
                        spark,
                        config.table(),
                        PackedTable.SPLIT_TRAIN,
                        resume.manifest().run().tableVersion());
        TableTokenizerCheck.check(
                snapshot, config.modelPath(), model, spark.sparkContext().hadoopConfiguration());
        RefLogProbs reference = referenceOf(spark, config, snapshot);
        if (adapter != null) {
            adapter.requireTensors(model, config.trainableLayout(model));
        }
        RunIdentity identity = identity(config, snapshot, model, modelDir, adapter);
        if (resume != null) {
            checkResumable(resume, identity, config);
        }
        return BarrierLauncher.launch(
                spark, config, snapshot, identity, resume, model, modelDir.storedDataType(), reference);
    }

    /**
     * The reference log-probs a table of pairs trains against, checked to be of this table version and reference
     * model; null for a table of single documents, a reference-free pref_loss (orpo, simpo), or ref_logprobs =
     * adapters_off (the ranks compute the reference in the step: no table is pinned or read).
     */
    private static RefLogProbs referenceOf(SparkSession spark, TrainConfig config, PinnedSnapshot snapshot) {
        PreferenceConfig preference = config.preference();
        if (!snapshot.holdsPairs() || !preference.loss().type().needsReference() || preference.adaptersOff()) {
            return null;
        }
        return RefLogProbs.pin(
                spark,
                preference.refLogprobsTableOf(config.table()),
                snapshot,
                preference.refModelOr(config.modelPath()),
                preference.refModelAdapters(),
                preference.prefLoss());
    }

    /**
     * The config a run continuing adapter_name_or_path trains with: the adapter's rank, alpha, dropout, targets and
     * rsLoRA in place of lora_* (LLaMA-Factory loads the adapter with PEFT, whose adapter_config.json wins); the
     * config unchanged when it starts new adapters.
     *
     * @param model the base model, whose projections lora_target = all stands for
     */
    public static TrainConfig withAdapterSettings(TrainConfig config, Configuration conf, ModelConfig model) {
        return config.finetuning().adapterNameOrPath().isEmpty()
                ? config
                : withAdapterSettings(
                        config, AdapterDirectory.of(config.finetuning().adapterNameOrPath(), conf), model);
    }

    private static TrainConfig withAdapterSettings(TrainConfig config, AdapterDirectory adapter, ModelConfig model) {
        if (adapter == null) {
            return config;
        }
        LoraConfig lora = adapter.config();
        List<String> replaced = replacedLoraSettings(config.finetuning().lora(), lora, model);
        if (!replaced.isEmpty()) {
            LOG.info(
                    "continuing the adapter {}: its adapter_config.json replaces {}",
                    config.finetuning().adapterNameOrPath(),
                    String.join(", ", replaced));
        }
        return config.toBuilder()
                .lora(lora.rank(), lora.alpha(), lora.dropout(), lora.loraTarget(), lora.rsLora())
                .build();
    }

    /**
     * The lora_* settings of {@code requested} that the continued adapter's differ from, each as "key = requested ->
     * adapter's"; empty when the run trains as the config says. lora_target is compared as the projections it
     * names on {@code model}: "all" stands for the model's own (LoraConfig.ALL also holds the other families' names),
     * so an adapter trained with "all" does not differ from a config that says "all".
     */
    static List<String> replacedLoraSettings(LoraConfig requested, LoraConfig adapter, ModelConfig model) {
        List<String> replaced = new ArrayList<>();
        if (requested.rank() != adapter.rank()) {
            replaced.add("lora_rank = " + requested.rank() + " -> " + adapter.rank());
        }
        if (requested.alpha() != adapter.alpha()) {
            replaced.add("lora_alpha = " + requested.alpha() + " -> " + adapter.alpha());
        }
        if (requested.dropout() != adapter.dropout()) {
            replaced.add("lora_dropout = " + requested.dropout() + " -> " + adapter.dropout());
        }
        if (!targetsOn(requested, model).equals(targetsOn(adapter, model))) {
            replaced.add("lora_target = " + requested.loraTarget() + " -> " + adapter.loraTarget());
        }
        if (requested.rsLora() != adapter.rsLora()) {
            replaced.add("use_rslora = " + requested.rsLora() + " -> " + adapter.rsLora());
        }
        return replaced;
    }

    /** The projections {@code lora} names on {@code model}, in layer order: "all" as the model's own. */
    private static List<String> targetsOn(LoraConfig lora, ModelConfig model) {
        return lora.all()
                ? HfParamNames.projections(model)
                : LoraConfig.ALL.stream().filter(lora::targets).toList();
    }

    /** @param adapter the adapter the run continues, or null */
    static RunIdentity identity(
            TrainConfig config,
            PinnedSnapshot snapshot,
            ModelConfig model,
            HadoopModelDir modelDir,
            AdapterDirectory adapter) {
        String finetuning = (config.finetuning().type() == FinetuningType.LORA
                        ? "lora(alpha=" + config.finetuning().lora().alpha()
                                + ", dropout=" + config.finetuning().lora().dropout() + ", rslora="
                                + config.finetuning().lora().rsLora()
                                + (config.finetuning().loraplusLrRatio() > 0
                                        ? ", loraplus_lr_ratio="
                                                + config.finetuning().loraplusLrRatio()
                                        : "")
                                + ")"
                        : config.finetuning().type().key())
                // another preference loss or reference is another run (the reference's log-probs are pinned to
                // the table version, which the identity names already)
                + (snapshot.holdsPairs()
                        ? " on pairs(" + config.preference().describe() + ", ref_model="
                                + config.preference().refModelOr(config.modelPath())
                                + (config.preference().refModelAdapters().isEmpty()
                                        ? ""
                                        : " + " + config.preference().refModelAdapters())
                                + ")"
                        : "");
        // a run that continues an adapter starts from its weights: another adapter is another run
        String start = adapter == null
                ? modelDir.fingerprint()
                : modelDir.fingerprint() + " + adapter " + adapter.fingerprint();
        return RunIdentity.of(
                snapshot.path(),
                snapshot.version(),
                start,
                finetuning,
                config.trainableLayout(model),
                config.effectiveGlobalBatchRows(),
                config.seed());
    }

    private static void checkResumable(CheckpointStore.Committed resume, RunIdentity identity, TrainConfig config) {
        List<String> differences = identity.differencesFrom(resume.manifest().run());
        if (differences.isEmpty()) {
            return;
        }
        String batchHint = config.batch().globalRows() == 0
                        && resume.manifest().run().globalBatchRows() != identity.globalBatchRows()
                ? " To resume on " + config.parallelism().worldSize() + " ranks, set train.global_batch_rows = "
                        + resume.manifest().run().globalBatchRows() + " (the global batch is per-device batch x "
                        + "accumulation x world_size unless fixed)."
                : "";
        throw new CheckpointException(
                resume.dir(),
                resume.dir() + " cannot be resumed by this run: "
                        + String.join("; ", differences) + "." + batchHint + " To start from scratch, set "
                        + "train.overwrite_output_dir = true (the run ignores output_dir's checkpoints and overwrites them as it"
                        + " goes) or choose another output_dir.");
    }
}
