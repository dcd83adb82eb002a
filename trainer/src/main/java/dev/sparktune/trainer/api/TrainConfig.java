package dev.sparktune.trainer.api;

import dev.sparktune.dl4j.flops.TrainingFlops;
import dev.sparktune.dl4j.freeze.FreezeConfig;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.optim.AdamWConfig;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.dl4j.params.ParamLayout;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The training section of a run, as the trainer needs it (key names are LLaMA-Factory's / transformers'
 * TrainingArguments'). Immutable and serializable: the driver ships it to every rank.
 *
 * @param modelPath           base model directory (HF config.json + safetensors + tokenizer files)
 * @param table               the packed Delta table written by prep
 * @param outputDir           where the final model or adapter (and metrics) go
 * @param finetuningType      full, freeze or lora
 * @param loraRank            lora_rank
 * @param loraAlpha           lora_alpha
 * @param loraDropout         lora_dropout
 * @param loraTarget          lora_target: "all" or comma-separated projection names
 * @param useRslora           use_rslora
 * @param loraplusLrRatio     loraplus_lr_ratio: lora_B at this multiple of the lr (LoRA+); 0 = off
 * @param freezeTrainableLayers  freeze_trainable_layers: the last n decoder layers train (n &lt; 0: the first -n)
 * @param freezeTrainableModules freeze_trainable_modules: "all" or comma-separated decoder-layer modules
 * @param freezeExtraModules  freeze_extra_modules: comma-separated modules outside the layers ("" = none)
 * @param learningRate        peak learning rate
 * @param adamBeta1           adam_beta1
 * @param adamBeta2           adam_beta2
 * @param adamEpsilon         adam_epsilon
 * @param weightDecay         weight_decay (matrices only)
 * @param maxGradNorm         max_grad_norm; 0 disables clipping
 * @param scheduler           lr_scheduler_type
 * @param warmupSteps         warmup_steps (wins over warmup_ratio when > 0)
 * @param warmupRatio         warmup_ratio
 * @param perDeviceBatchRows  per_device_train_batch_size (rows per micro-batch)
 * @param gradientAccumulation gradient_accumulation_steps
 * @param globalBatchRows     rows per optimizer step fixed independently of the world size; 0 = per-device ×
 *                            accumulation × world size, as in LLaMA-Factory
 * @param epochs              num_train_epochs
 * @param maxSteps            max_steps; > 0 overrides epochs
 * @param seed                seed of data order and adapter initialisation
 * @param loggingSteps        metrics every this many steps
 * @param worldSize           ranks (one barrier task each)
 * @param sharding            fsdp (auto until the launch resolves it against the memory budget)
 * @param lossChunkRows       tokens per lm_head + cross-entropy chunk
 * @param peakFlopsPerRank    FLOP/s one rank can do, the MFU denominator; 0 = measure fp32 GEMM on rank 0 at start
 * @param gradientCheckpointing gradient_checkpointing: recompute each decoder layer's forward in backward (keeps one
 *                            layer's activations instead of all; same gradients, one more forward)
 * @param saveSteps           a checkpoint every this many steps (save_steps); 0 = none
 * @param saveTotalLimit      committed checkpoints kept in output_dir (save_total_limit); 0 = all
 * @param resumeFromCheckpoint resume_from_checkpoint: "" = the newest committed checkpoint in output_dir, if any;
 *                            else the path of one checkpoint directory
 * @param overwriteOutputDir  overwrite_output_dir: start from scratch, ignoring output_dir's checkpoints (they are
 *                            overwritten as the run reaches their steps)
 * @param adapterNameOrPath   adapter_name_or_path: a PEFT LoRA adapter whose training this run continues (its
 *                            weights start the run, its rank, alpha, dropout and targets replace lora_*, as in
 *                            LLaMA-Factory); "" = new adapters
 * @param preference          how a table of preference pairs trains (pref_loss and its options, the reference)
 */
public record TrainConfig(String modelPath, String table, String outputDir, FinetuningType finetuningType,
                          int loraRank, double loraAlpha, double loraDropout, String loraTarget, boolean useRslora,
                          double loraplusLrRatio, int freezeTrainableLayers, String freezeTrainableModules,
                          String freezeExtraModules,
                          double learningRate, double adamBeta1, double adamBeta2, double adamEpsilon,
                          double weightDecay, double maxGradNorm, LrSchedule.Type scheduler, int warmupSteps,
                          double warmupRatio, int perDeviceBatchRows, int gradientAccumulation, int globalBatchRows,
                          double epochs, int maxSteps, long seed, int loggingSteps, int worldSize, Sharding sharding,
                          int lossChunkRows, boolean gradientCheckpointing, double peakFlopsPerRank, int saveSteps,
                          int saveTotalLimit, String resumeFromCheckpoint,
                          boolean overwriteOutputDir, String adapterNameOrPath, PreferenceConfig preference)
        implements Serializable {
    public TrainConfig {
        resumeFromCheckpoint = resumeFromCheckpoint == null ? "" : resumeFromCheckpoint.strip();
        adapterNameOrPath = adapterNameOrPath == null ? "" : adapterNameOrPath.strip();
        freezeTrainableModules = freezeTrainableModules == null ? "all" : freezeTrainableModules;
        freezeExtraModules = freezeExtraModules == null ? "" : freezeExtraModules;
        Problems p = new Problems();
        p.require(modelPath != null && !modelPath.isBlank(), "model_name_or_path", "is required");
        p.require(table != null && !table.isBlank(), "table", "is required (the packed table's path)");
        p.require(outputDir != null && !outputDir.isBlank(), "output_dir", "is required");
        p.require(finetuningType != null, "finetuning_type", "is required");
        p.require(scheduler != null, "lr_scheduler_type", "is required");
        p.require(sharding != null, "fsdp", "is required");
        p.require(preference != null, "pref_loss", "is required");
        p.require(perDeviceBatchRows >= 1, "per_device_train_batch_size", "must be >= 1");
        p.require(gradientAccumulation >= 1, "gradient_accumulation_steps", "must be >= 1");
        p.require(globalBatchRows >= 0, "global_batch_rows", "must be >= 0");
        p.require(worldSize >= 1, "world_size", "must be >= 1");
        p.require(loggingSteps >= 1, "logging_steps", "must be >= 1");
        p.require(lossChunkRows >= 1, "loss_chunk_tokens", "must be >= 1");
        p.require(peakFlopsPerRank >= 0 && Double.isFinite(peakFlopsPerRank), "peak_flops_per_rank", "must be >= 0");
        p.require(saveSteps >= 0, "save_steps", "must be >= 0");
        p.require(saveTotalLimit >= 0, "save_total_limit", "must be >= 0");
        p.require(maxGradNorm >= 0, "max_grad_norm", "must be >= 0");
        p.require(learningRate > 0, "learning_rate", "must be > 0");
        p.valid(() -> new AdamWConfig(learningRate, adamBeta1, adamBeta2, adamEpsilon, weightDecay), "learning_rate",
                "adam_beta1", "adam_beta2", "adam_epsilon", "weight_decay");
        p.valid(() -> LoraAdapters.loraPlusLrScale(loraplusLrRatio), "loraplus_lr_ratio");
        // the rules between keys: TrainSection reports these under each key, so they are written here only
        p.require(epochs > 0 || maxSteps > 0, "num_train_epochs", "must be > 0 unless max_steps is set (> 0)");
        p.require(!(overwriteOutputDir && !resumeFromCheckpoint.isEmpty()), "resume_from_checkpoint",
                "cannot be set together with overwrite_output_dir = true (one resumes, the other starts from "
                        + "scratch); unset one of them");
        if (finetuningType == FinetuningType.LORA) {
            p.valid(() -> lora(loraRank, loraAlpha, loraDropout, loraTarget, useRslora), "lora_target", "lora_rank",
                    "lora_alpha", "lora_dropout");
        }
        p.require(loraplusLrRatio == 0 || finetuningType == null || finetuningType == FinetuningType.LORA,
                "loraplus_lr_ratio", "applies to finetuning_type = lora only (it sets lora_B's lr); set it to 0 "
                        + "for " + (finetuningType == null ? "" : finetuningType.key()));
        if (finetuningType == FinetuningType.FREEZE) {
            String modules = freezeTrainableModules;
            String extra = freezeExtraModules;
            p.valid(() -> FreezeConfig.of(freezeTrainableLayers, modules, extra),
                    "freeze_trainable_layers", "freeze_trainable_modules", "freeze_extra_modules");
        }
        p.require(!adapterNameOrPath.contains(","), "adapter_name_or_path", "continues one adapter; LLaMA-Factory's "
                + "list form merges all but the last into the base first: export the base with those merged "
                + "(export.export_dir) and train on it with the last one");
        p.require(adapterNameOrPath.isEmpty() || finetuningType == null || finetuningType == FinetuningType.LORA,
                "adapter_name_or_path", "continues a LoRA adapter: it needs finetuning_type = lora (as in "
                        + "LLaMA-Factory); for " + (finetuningType == null ? "" : finetuningType.key())
                        + " train on the merged model (export it) instead");
        if (preference != null) {
            p.valid(preference::loss, "pref_loss", "pref_beta", "pref_ftx", "dpo_label_smoothing", "simpo_gamma");
        }
        p.require(!(finetuningType == FinetuningType.FREEZE && sharding == Sharding.FULL_SHARD), "fsdp",
                "full_shard is for finetuning_type = full or lora; for freeze use shard_grad_op (freeze trains whole "
                        + "layers of the base, which full_shard would have to split into frozen and trained shards)");
        p.throwIfAny();
    }

    /**
     * The problems of a config being built, each under the LLaMA-Factory / transformers key it is about; the first
     * per key (a NaN learning rate breaks two rules about it).
     */
    private static final class Problems {
        private final Map<String, TrainConfigException.Problem> found = new LinkedHashMap<>();

        void require(boolean ok, String key, String message) {
            if (!ok) {
                found.putIfAbsent(key, new TrainConfigException.Problem(key, message));
            }
        }

        /**
         * A part's own check (LoRA, freeze, AdamW). Its messages begin with the key they are about: the problem goes
         * under that one of {@code keys}, else under the first.
         */
        void valid(Runnable check, String... keys) {
            try {
                check.run();
            } catch (IllegalArgumentException e) {
                require(false, TrainConfigException.keyOf(e.getMessage(), keys), e.getMessage());
            }
        }

        void throwIfAny() {
            if (!found.isEmpty()) {
                throw new TrainConfigException(List.copyOf(found.values()));
            }
        }
    }

    private static LoraConfig lora(int rank, double alpha, double dropout, String target, boolean rs) {
        return LoraConfig.of(rank, alpha, dropout, target, rs);
    }

    public LoraConfig lora() {
        return lora(loraRank, loraAlpha, loraDropout, loraTarget, useRslora);
    }

    /** The freeze settings (meaningful for finetuning_type = freeze). */
    public FreezeConfig freeze() {
        return FreezeConfig.of(freezeTrainableLayers, freezeTrainableModules, freezeExtraModules);
    }

    /** Each trained parameter's factor on the scheduled lr (LoRA+: lora_B at loraplus_lr_ratio). */
    public ToDoubleFunction<ParamLayout.Entry> lrScale() {
        return LoraAdapters.loraPlusLrScale(loraplusLrRatio);
    }

    /** Which of the base model's parameters get gradients: all (full), the freeze selection, none (lora). */
    private Predicate<String> trainedBaseParams(ModelConfig model) {
        return switch (finetuningType) {
            case FULL -> name -> true;
            case FREEZE -> freeze().trainableNames(model)::contains;
            case LORA -> name -> false;
        };
    }

    /**
     * The base model's parameters in memory: transformers' order with the trained ones moved to one contiguous tail
     * ({@link ParamLayout#withLast}; only freeze fine-tuning moves anything) that the optimizer and collectives
     * work on.
     */
    public ParamLayout baseLayout(ModelConfig model) {
        return HfParamNames.layout(model).withLast(trainedBaseParams(model));
    }

    /** The flat layout of what trains: every parameter, the freeze selection, or the LoRA adapters. */
    public ParamLayout trainableLayout(ModelConfig model) {
        return finetuningType == FinetuningType.LORA ? LoraAdapters.layout(model, lora())
                : HfParamNames.layout(model).subset(trainedBaseParams(model));
    }

    /** The FLOPs a step of this fine-tuning needs per token (model) and per packed row (useful). */
    public TrainingFlops trainingFlops(ModelConfig model) {
        long adapters = finetuningType == FinetuningType.LORA ? LoraAdapters.layout(model, lora()).totalLength() : 0;
        return TrainingFlops.of(model, trainedBaseParams(model), adapters);
    }

    /**
     * The dtype the base model's weights are held in, given the dtype they are {@code stored} in: a bf16 / fp16
     * checkpoint's frozen weights stay in it (widened per product, bit-identical results; lora's whole base,
     * freeze's frozen part beside an fp32 copy of the trained one); full fine-tuning trains every weight in fp32.
     */
    public DataType baseDataType(DataType stored) {
        return finetuningType != FinetuningType.FULL && (stored == DataType.BFLOAT16 || stored == DataType.HALF)
                ? stored : DataType.FLOAT;
    }

    public AdamWConfig adamW() {
        return new AdamWConfig(learningRate, adamBeta1, adamBeta2, adamEpsilon, weightDecay);
    }

    /** Rows per optimizer step over all ranks. */
    public int effectiveGlobalBatchRows() {
        return globalBatchRows > 0 ? globalBatchRows : perDeviceBatchRows * gradientAccumulation * worldSize;
    }

    /** The warmup steps of a run of {@code totalSteps}. */
    public LrSchedule schedule(int totalSteps) {
        int warmup = warmupSteps > 0 ? warmupSteps : LrSchedule.warmupFromRatio(warmupRatio, totalSteps);
        return new LrSchedule(scheduler, warmup, totalSteps);
    }

    /**
     * A builder holding transformers' / LLaMA-Factory's defaults (lr 5e-5, cosine, 3 epochs, batch 1, gradient
     * checkpointing on, ...).
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelPath = modelPath;
        b.table = table;
        b.outputDir = outputDir;
        b.finetuningType = finetuningType;
        b.loraRank = loraRank;
        b.loraAlpha = loraAlpha;
        b.loraDropout = loraDropout;
        b.loraTarget = loraTarget;
        b.useRslora = useRslora;
        b.loraplusLrRatio = loraplusLrRatio;
        b.freezeTrainableLayers = freezeTrainableLayers;
        b.freezeTrainableModules = freezeTrainableModules;
        b.freezeExtraModules = freezeExtraModules;
        b.learningRate = learningRate;
        b.adamBeta1 = adamBeta1;
        b.adamBeta2 = adamBeta2;
        b.adamEpsilon = adamEpsilon;
        b.weightDecay = weightDecay;
        b.maxGradNorm = maxGradNorm;
        b.scheduler = scheduler;
        b.warmupSteps = warmupSteps;
        b.warmupRatio = warmupRatio;
        b.perDeviceBatchRows = perDeviceBatchRows;
        b.gradientAccumulation = gradientAccumulation;
        b.globalBatchRows = globalBatchRows;
        b.epochs = epochs;
        b.maxSteps = maxSteps;
        b.seed = seed;
        b.loggingSteps = loggingSteps;
        b.worldSize = worldSize;
        b.sharding = sharding;
        b.lossChunkRows = lossChunkRows;
        b.gradientCheckpointing = gradientCheckpointing;
        b.peakFlopsPerRank = peakFlopsPerRank;
        b.saveSteps = saveSteps;
        b.saveTotalLimit = saveTotalLimit;
        b.resumeFromCheckpoint = resumeFromCheckpoint;
        b.overwriteOutputDir = overwriteOutputDir;
        b.adapterNameOrPath = adapterNameOrPath;
        b.preference = preference;
        return b;
    }

    /** Optional settings of a {@link TrainConfig}; the three paths have no default. */
    public static final class Builder {
        private String modelPath;
        private String table;
        private String outputDir;
        private FinetuningType finetuningType = FinetuningType.LORA;
        private int loraRank = 8;
        private double loraAlpha = 16;
        private double loraDropout = 0;
        private String loraTarget = "all";
        private boolean useRslora;
        private double loraplusLrRatio;
        private int freezeTrainableLayers = 2;
        private String freezeTrainableModules = "all";
        private String freezeExtraModules = "";
        private double learningRate = 5e-5;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private double adamEpsilon = 1e-8;
        private double weightDecay;
        private double maxGradNorm = 1.0;
        private LrSchedule.Type scheduler = LrSchedule.Type.COSINE;
        private int warmupSteps;
        private double warmupRatio;
        private int perDeviceBatchRows = 1;
        private int gradientAccumulation = 1;
        private int globalBatchRows;
        private double epochs = 3;
        private int maxSteps;
        private long seed = 42;
        private int loggingSteps = 10;
        private int worldSize = 1;
        private Sharding sharding = Sharding.AUTO;
        private int lossChunkRows = 256;
        private boolean gradientCheckpointing = true;
        private double peakFlopsPerRank;
        private int saveSteps = 500;
        private int saveTotalLimit;
        private String resumeFromCheckpoint = "";
        private boolean overwriteOutputDir;
        private String adapterNameOrPath = "";
        private PreferenceConfig preference = PreferenceConfig.defaults();

        private Builder() {
        }

        public Builder modelPath(String v) { modelPath = v; return this; }
        public Builder table(String v) { table = v; return this; }
        public Builder outputDir(String v) { outputDir = v; return this; }
        public Builder finetuningType(FinetuningType v) { finetuningType = v; return this; }
        public Builder lora(int rank, double alpha, double dropout, String target, boolean rs) {
            loraRank = rank; loraAlpha = alpha; loraDropout = dropout; loraTarget = target; useRslora = rs; return this;
        }
        public Builder loraplusLrRatio(double v) { loraplusLrRatio = v; return this; }
        public Builder freeze(int trainableLayers, String trainableModules, String extraModules) {
            freezeTrainableLayers = trainableLayers; freezeTrainableModules = trainableModules;
            freezeExtraModules = extraModules; return this;
        }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder adam(double beta1, double beta2, double eps) {
            adamBeta1 = beta1; adamBeta2 = beta2; adamEpsilon = eps; return this;
        }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder scheduler(LrSchedule.Type v) { scheduler = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder perDeviceBatchRows(int v) { perDeviceBatchRows = v; return this; }
        public Builder gradientAccumulation(int v) { gradientAccumulation = v; return this; }
        public Builder globalBatchRows(int v) { globalBatchRows = v; return this; }
        public Builder epochs(double v) { epochs = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder loggingSteps(int v) { loggingSteps = v; return this; }
        public Builder worldSize(int v) { worldSize = v; return this; }
        public Builder sharding(Sharding v) { sharding = v; return this; }
        public Builder lossChunkRows(int v) { lossChunkRows = v; return this; }
        public Builder gradientCheckpointing(boolean v) { gradientCheckpointing = v; return this; }
        public Builder peakFlopsPerRank(double v) { peakFlopsPerRank = v; return this; }
        public Builder saveSteps(int v) { saveSteps = v; return this; }
        public Builder saveTotalLimit(int v) { saveTotalLimit = v; return this; }
        public Builder resumeFromCheckpoint(String v) { resumeFromCheckpoint = v; return this; }
        public Builder overwriteOutputDir(boolean v) { overwriteOutputDir = v; return this; }
        public Builder adapterNameOrPath(String v) { adapterNameOrPath = v; return this; }
        public Builder preference(PreferenceConfig v) { preference = v; return this; }

        public TrainConfig build() {
            return new TrainConfig(modelPath, table, outputDir, finetuningType, loraRank, loraAlpha, loraDropout,
                    loraTarget, useRslora, loraplusLrRatio, freezeTrainableLayers, freezeTrainableModules,
                    freezeExtraModules, learningRate, adamBeta1, adamBeta2, adamEpsilon, weightDecay, maxGradNorm,
                    scheduler, warmupSteps, warmupRatio, perDeviceBatchRows, gradientAccumulation, globalBatchRows,
                    epochs, maxSteps, seed, loggingSteps, worldSize, sharding, lossChunkRows, gradientCheckpointing,
                    peakFlopsPerRank, saveSteps, saveTotalLimit, resumeFromCheckpoint, overwriteOutputDir,
                    adapterNameOrPath, preference);
        }
    }
}
