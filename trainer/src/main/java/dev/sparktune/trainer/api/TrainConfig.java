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
import dev.sparktune.preprocess.api.SettingProblems;
import java.io.Serializable;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The training section of a run, as the trainer needs it, in typed sections the way torchtitan's job config nests
 * them (what trains, optimizer, schedule, batch, parallelism, activations, checkpointing, metrics, preference). Key
 * names in messages and docs are LLaMA-Factory's / transformers' TrainingArguments'. Immutable and serializable: the
 * driver ships it to every rank. Built by {@link #builder()}, which checks every rule, each problem under its key.
 *
 * @param modelPath      base model directory (HF config.json + safetensors + tokenizer files)
 * @param table          the packed Delta table written by prep
 * @param outputDir      where the final model or adapter (and metrics) go
 * @param finetuning     what trains: finetuning_type and its method's settings
 * @param optimizer      AdamW and gradient clipping
 * @param schedule       learning-rate schedule and run length
 * @param batch          rows per micro-batch and per optimizer step
 * @param parallelism    ranks and how the state is sharded across them
 * @param activations    what a forward keeps for its backward
 * @param checkpointing  saving, keeping and resuming checkpoints
 * @param metrics        what is logged and how MFU is measured
 * @param seed           seed of data order and adapter initialisation
 * @param preference     how a table of preference pairs trains (pref_loss and its options, the reference)
 */
public record TrainConfig(
        String modelPath,
        String table,
        String outputDir,
        Finetuning finetuning,
        Optimizer optimizer,
        Schedule schedule,
        Batch batch,
        Parallelism parallelism,
        Activations activations,
        Checkpointing checkpointing,
        Metrics metrics,
        long seed,
        PreferenceConfig preference)
        implements Serializable {
    public TrainConfig {
        Objects.requireNonNull(finetuning, "finetuning");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(parallelism, "parallelism");
        Objects.requireNonNull(activations, "activations");
        Objects.requireNonNull(checkpointing, "checkpointing");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(preference, "preference");
    }

    /**
     * What trains.
     *
     * @param type              finetuning_type: full, freeze or lora
     * @param lora              lora_rank, lora_alpha, lora_dropout, lora_target, use_rslora; null unless type = lora
     * @param loraplusLrRatio   loraplus_lr_ratio: lora_B at this multiple of the lr (LoRA+); 0 = off
     * @param freeze            freeze_trainable_layers, freeze_trainable_modules, freeze_extra_modules; null unless
     *                          type = freeze
     * @param adapterNameOrPath adapter_name_or_path: a PEFT LoRA adapter whose training this run continues (its
     *                          weights start the run, its rank, alpha, dropout and targets replace lora_*, as in
     *                          LLaMA-Factory); "" = new adapters
     */
    public record Finetuning(
            FinetuningType type, LoraConfig lora, double loraplusLrRatio, FreezeConfig freeze, String adapterNameOrPath)
            implements Serializable {
        public Finetuning {
            Objects.requireNonNull(type, "type");
            adapterNameOrPath = adapterNameOrPath == null ? "" : adapterNameOrPath.strip();
        }

        /** Each trained parameter's factor on the scheduled lr (LoRA+: lora_B at loraplus_lr_ratio). */
        public ToDoubleFunction<ParamLayout.Entry> lrScale() {
            return LoraAdapters.loraPlusLrScale(loraplusLrRatio);
        }
    }

    /**
     * @param adamW       learning_rate, adam_beta1, adam_beta2, adam_epsilon, weight_decay (matrices only)
     * @param maxGradNorm max_grad_norm; 0 disables clipping
     */
    public record Optimizer(AdamWConfig adamW, double maxGradNorm) implements Serializable {}

    /**
     * @param scheduler   lr_scheduler_type
     * @param warmupSteps warmup_steps (wins over warmup_ratio when > 0)
     * @param warmupRatio warmup_ratio
     * @param epochs      num_train_epochs
     * @param maxSteps    max_steps; > 0 overrides epochs
     */
    public record Schedule(LrSchedule.Type scheduler, int warmupSteps, double warmupRatio, double epochs, int maxSteps)
            implements Serializable {
        /** The learning-rate schedule of a run of {@code totalSteps}. */
        public LrSchedule lr(int totalSteps) {
            int warmup = warmupSteps > 0 ? warmupSteps : LrSchedule.warmupFromRatio(warmupRatio, totalSteps);
            return new LrSchedule(scheduler, warmup, totalSteps);
        }
    }

    /**
     * @param perDeviceRows        per_device_train_batch_size (rows per micro-batch)
     * @param gradientAccumulation gradient_accumulation_steps
     * @param globalRows           rows per optimizer step fixed independently of the world size; 0 = per-device ×
     *                             accumulation × world size, as in LLaMA-Factory
     */
    public record Batch(int perDeviceRows, int gradientAccumulation, int globalRows) implements Serializable {}

    /**
     * @param worldSize ranks (one barrier task each)
     * @param sharding  fsdp (auto until the launch resolves it against the memory budget)
     * @param device    device: what each rank computes on (gpu: one GPU per barrier task)
     */
    public record Parallelism(int worldSize, Sharding sharding, Device device) implements Serializable {
        public Parallelism {
            Objects.requireNonNull(device, "device");
        }
    }

    /**
     * @param gradientCheckpointing gradient_checkpointing: recompute each decoder layer's forward in backward (keeps one
     *                              layer's activations instead of all; same gradients, one more forward)
     * @param lossChunkTokens       loss_chunk_tokens: tokens per lm_head + cross-entropy chunk (the full logits are
     *                              never formed)
     */
    public record Activations(boolean gradientCheckpointing, int lossChunkTokens) implements Serializable {}

    /**
     * @param saveSteps            a checkpoint every this many steps (save_steps); 0 = none
     * @param saveTotalLimit       committed checkpoints kept in output_dir (save_total_limit); 0 = all
     * @param resumeFromCheckpoint resume_from_checkpoint: "" = the newest committed checkpoint in output_dir, if any;
     *                             else the path of one checkpoint directory
     * @param overwriteOutputDir   overwrite_output_dir: start from scratch, ignoring output_dir's checkpoints (they
     *                             are overwritten as the run reaches their steps)
     */
    public record Checkpointing(
            int saveSteps, int saveTotalLimit, String resumeFromCheckpoint, boolean overwriteOutputDir)
            implements Serializable {
        public Checkpointing {
            resumeFromCheckpoint = resumeFromCheckpoint == null ? "" : resumeFromCheckpoint.strip();
        }
    }

    /**
     * @param loggingSteps     metrics every this many steps
     * @param peakFlopsPerRank FLOP/s one rank can do, the MFU denominator; 0 = measure fp32 GEMM on rank 0 at start
     */
    public record Metrics(int loggingSteps, double peakFlopsPerRank) implements Serializable {}

    /** Which of the base model's parameters get gradients: all (full), the freeze selection, none (lora). */
    private Predicate<String> trainedBaseParams(ModelConfig model) {
        return switch (finetuning.type()) {
            case FULL -> name -> true;
            case FREEZE -> finetuning.freeze().trainableNames(model)::contains;
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
        return finetuning.type() == FinetuningType.LORA
                ? LoraAdapters.layout(model, finetuning.lora())
                : HfParamNames.layout(model).subset(trainedBaseParams(model));
    }

    /** The FLOPs a step of this fine-tuning needs per token (model) and per packed row (useful). */
    public TrainingFlops trainingFlops(ModelConfig model) {
        long adapters = finetuning.type() == FinetuningType.LORA
                ? LoraAdapters.layout(model, finetuning.lora()).totalLength()
                : 0;
        return TrainingFlops.of(model, trainedBaseParams(model), adapters);
    }

    /**
     * The dtype the base model's weights are held in, given the dtype they are {@code stored} in: a bf16 / fp16
     * checkpoint's frozen weights stay in it (widened per product, bit-identical results; lora's whole base,
     * freeze's frozen part beside an fp32 copy of the trained one); full fine-tuning trains every weight in fp32.
     */
    public DataType baseDataType(DataType stored) {
        return finetuning.type() != FinetuningType.FULL && (stored == DataType.BFLOAT16 || stored == DataType.HALF)
                ? stored
                : DataType.FLOAT;
    }

    /** Rows per optimizer step over all ranks. */
    public int effectiveGlobalBatchRows() {
        return batch.globalRows() > 0
                ? batch.globalRows()
                : batch.perDeviceRows() * batch.gradientAccumulation() * parallelism.worldSize();
    }

    /**
     * A builder holding transformers' / LLaMA-Factory's defaults (lr 5e-5, cosine, 3 epochs, batch 1, gradient
     * checkpointing on, ...).
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this config (a method's settings that do not apply keep the defaults). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelPath = modelPath;
        b.table = table;
        b.outputDir = outputDir;
        b.finetuningType = finetuning.type();
        if (finetuning.lora() != null) {
            LoraConfig l = finetuning.lora();
            b.lora(l.rank(), l.alpha(), l.dropout(), l.loraTarget(), l.rsLora());
        }
        b.loraplusLrRatio = finetuning.loraplusLrRatio();
        if (finetuning.freeze() != null) {
            FreezeConfig f = finetuning.freeze();
            b.freeze(f.trainableLayers(), String.join(",", f.trainableModules()), String.join(",", f.extraModules()));
        }
        b.adapterNameOrPath = finetuning.adapterNameOrPath();
        AdamWConfig adamW = optimizer.adamW();
        b.learningRate = adamW.lr();
        b.adam(adamW.beta1(), adamW.beta2(), adamW.eps());
        b.weightDecay = adamW.weightDecay();
        b.maxGradNorm = optimizer.maxGradNorm();
        b.scheduler = schedule.scheduler();
        b.warmupSteps = schedule.warmupSteps();
        b.warmupRatio = schedule.warmupRatio();
        b.epochs = schedule.epochs();
        b.maxSteps = schedule.maxSteps();
        b.perDeviceBatchRows = batch.perDeviceRows();
        b.gradientAccumulation = batch.gradientAccumulation();
        b.globalBatchRows = batch.globalRows();
        b.worldSize = parallelism.worldSize();
        b.sharding = parallelism.sharding();
        b.device = parallelism.device();
        b.gradientCheckpointing = activations.gradientCheckpointing();
        b.lossChunkTokens = activations.lossChunkTokens();
        b.saveSteps = checkpointing.saveSteps();
        b.saveTotalLimit = checkpointing.saveTotalLimit();
        b.resumeFromCheckpoint = checkpointing.resumeFromCheckpoint();
        b.overwriteOutputDir = checkpointing.overwriteOutputDir();
        b.loggingSteps = metrics.loggingSteps();
        b.peakFlopsPerRank = metrics.peakFlopsPerRank();
        b.seed = seed;
        b.preference = preference;
        return b;
    }

    /**
     * The settings as LLaMA-Factory / transformers keys hold them, with their defaults; {@link #build} checks every
     * rule (each value's, and those between keys, written here only) and reports all problems at once.
     */
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
        private String adapterNameOrPath = "";
        private double learningRate = 5e-5;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private double adamEpsilon = 1e-8;
        private double weightDecay;
        private double maxGradNorm = 1.0;
        private LrSchedule.Type scheduler = LrSchedule.Type.COSINE;
        private int warmupSteps;
        private double warmupRatio;
        private double epochs = 3;
        private int maxSteps;
        private int perDeviceBatchRows = 1;
        private int gradientAccumulation = 1;
        private int globalBatchRows;
        private int worldSize = 1;
        private Sharding sharding = Sharding.AUTO;
        private Device device = Device.CPU;
        private boolean gradientCheckpointing = true;
        private int lossChunkTokens = 256;
        private int saveSteps = 500;
        private int saveTotalLimit;
        private String resumeFromCheckpoint = "";
        private boolean overwriteOutputDir;
        private int loggingSteps = 10;
        private double peakFlopsPerRank;
        private long seed = 42;
        private PreferenceConfig preference = PreferenceConfig.defaults();

        private Builder() {}

        public Builder modelPath(String v) {
            modelPath = v;
            return this;
        }

        public Builder table(String v) {
            table = v;
            return this;
        }

        public Builder outputDir(String v) {
            outputDir = v;
            return this;
        }

        public Builder finetuningType(FinetuningType v) {
            finetuningType = v;
            return this;
        }

        public Builder lora(int rank, double alpha, double dropout, String target, boolean rs) {
            loraRank = rank;
            loraAlpha = alpha;
            loraDropout = dropout;
            loraTarget = target;
            useRslora = rs;
            return this;
        }

        public Builder loraplusLrRatio(double v) {
            loraplusLrRatio = v;
            return this;
        }

        public Builder freeze(int trainableLayers, String trainableModules, String extraModules) {
            freezeTrainableLayers = trainableLayers;
            freezeTrainableModules = trainableModules;
            freezeExtraModules = extraModules;
            return this;
        }

        public Builder adapterNameOrPath(String v) {
            adapterNameOrPath = v;
            return this;
        }

        public Builder learningRate(double v) {
            learningRate = v;
            return this;
        }

        public Builder adam(double beta1, double beta2, double eps) {
            adamBeta1 = beta1;
            adamBeta2 = beta2;
            adamEpsilon = eps;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder maxGradNorm(double v) {
            maxGradNorm = v;
            return this;
        }

        public Builder scheduler(LrSchedule.Type v) {
            scheduler = v;
            return this;
        }

        public Builder warmupSteps(int v) {
            warmupSteps = v;
            return this;
        }

        public Builder warmupRatio(double v) {
            warmupRatio = v;
            return this;
        }

        public Builder epochs(double v) {
            epochs = v;
            return this;
        }

        public Builder maxSteps(int v) {
            maxSteps = v;
            return this;
        }

        public Builder perDeviceBatchRows(int v) {
            perDeviceBatchRows = v;
            return this;
        }

        public Builder gradientAccumulation(int v) {
            gradientAccumulation = v;
            return this;
        }

        public Builder globalBatchRows(int v) {
            globalBatchRows = v;
            return this;
        }

        public Builder worldSize(int v) {
            worldSize = v;
            return this;
        }

        public Builder sharding(Sharding v) {
            sharding = v;
            return this;
        }

        public Builder device(Device v) {
            device = v;
            return this;
        }

        public Builder gradientCheckpointing(boolean v) {
            gradientCheckpointing = v;
            return this;
        }

        public Builder lossChunkTokens(int v) {
            lossChunkTokens = v;
            return this;
        }

        public Builder saveSteps(int v) {
            saveSteps = v;
            return this;
        }

        public Builder saveTotalLimit(int v) {
            saveTotalLimit = v;
            return this;
        }

        public Builder resumeFromCheckpoint(String v) {
            resumeFromCheckpoint = v;
            return this;
        }

        public Builder overwriteOutputDir(boolean v) {
            overwriteOutputDir = v;
            return this;
        }

        public Builder loggingSteps(int v) {
            loggingSteps = v;
            return this;
        }

        public Builder peakFlopsPerRank(double v) {
            peakFlopsPerRank = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder preference(PreferenceConfig v) {
            preference = v;
            return this;
        }

        /** The config, or a {@link TrainConfigException} with every problem under its key. */
        public TrainConfig build() {
            String resume = resumeFromCheckpoint == null ? "" : resumeFromCheckpoint.strip();
            String adapter = adapterNameOrPath == null ? "" : adapterNameOrPath.strip();
            SettingProblems p = new SettingProblems();
            p.require(modelPath != null && !modelPath.isBlank(), "model_name_or_path", "is required");
            p.require(table != null && !table.isBlank(), "table", "is required (the packed table's path)");
            p.require(outputDir != null && !outputDir.isBlank(), "output_dir", "is required");
            p.require(finetuningType != null, "finetuning_type", "is required");
            p.require(scheduler != null, "lr_scheduler_type", "is required");
            p.require(sharding != null, "fsdp", "is required");
            p.require(device != null, "device", "is required");
            p.require(preference != null, "pref_loss", "is required");
            // each value's own range (the config readers check only that a value is a number, a whole number, ...)
            p.within("lora_rank", loraRank, 1, 4096);
            p.positive("lora_alpha", loraAlpha);
            p.fraction("lora_dropout", loraDropout);
            p.allowed(
                    loraTarget != null && !loraTarget.isBlank(),
                    "lora_target",
                    "\"" + loraTarget + "\"",
                    "all, or a comma-separated list of projections");
            p.nonNegative("loraplus_lr_ratio", loraplusLrRatio);
            p.within("freeze_trainable_layers", freezeTrainableLayers, -4096, 4096);
            p.allowed(
                    freezeTrainableModules == null || !freezeTrainableModules.isBlank(),
                    "freeze_trainable_modules",
                    "\"" + freezeTrainableModules + "\"",
                    "all, or a comma-separated list of decoder-layer modules (self_attn, mlp, input_layernorm, "
                            + "post_attention_layernorm)");
            p.positive("learning_rate", learningRate);
            p.atLeast("warmup_steps", warmupSteps, 0);
            p.fraction("warmup_ratio", warmupRatio);
            p.nonNegative("weight_decay", weightDecay);
            p.fraction("adam_beta1", adamBeta1);
            p.fraction("adam_beta2", adamBeta2);
            p.positive("adam_epsilon", adamEpsilon);
            p.nonNegative("max_grad_norm", maxGradNorm);
            p.atLeast("per_device_train_batch_size", perDeviceBatchRows, 1);
            p.atLeast("gradient_accumulation_steps", gradientAccumulation, 1);
            p.atLeast("global_batch_rows", globalBatchRows, 0);
            p.nonNegative("num_train_epochs", epochs);
            p.atLeast("max_steps", maxSteps, -1);
            p.atLeast("logging_steps", loggingSteps, 1);
            p.atLeast("save_steps", saveSteps, 0);
            p.atLeast("save_total_limit", saveTotalLimit, 0);
            p.within("world_size", worldSize, 1, 4096);
            p.atLeast("loss_chunk_tokens", lossChunkTokens, 1);
            p.nonNegative("peak_flops_per_rank", peakFlopsPerRank);
            AdamWConfig adamW = valid(
                    p,
                    () -> new AdamWConfig(learningRate, adamBeta1, adamBeta2, adamEpsilon, weightDecay),
                    "learning_rate",
                    "adam_beta1",
                    "adam_beta2",
                    "adam_epsilon",
                    "weight_decay");
            // the rules between keys: TrainSection reports these under each key, so they are written here only
            p.require(epochs > 0 || maxSteps > 0, "num_train_epochs", "must be > 0 unless max_steps is set (> 0)");
            p.require(
                    !(overwriteOutputDir && !resume.isEmpty()),
                    "resume_from_checkpoint",
                    "cannot be set together with overwrite_output_dir = true (one resumes, the other starts from "
                            + "scratch); unset one of them");
            // each method's own settings, between the rules in the order their problems have always been listed
            LoraConfig lora = finetuningType != FinetuningType.LORA || loraTarget == null // null: reported above
                    ? null
                    : valid(
                            p,
                            () -> LoraConfig.of(loraRank, loraAlpha, loraDropout, loraTarget, useRslora),
                            "lora_target",
                            "lora_rank",
                            "lora_alpha",
                            "lora_dropout");
            p.require(
                    loraplusLrRatio == 0 || finetuningType == null || finetuningType == FinetuningType.LORA,
                    "loraplus_lr_ratio",
                    "applies to finetuning_type = lora only (it sets lora_B's lr); set it to 0 for "
                            + (finetuningType == null ? "" : finetuningType.key()));
            FreezeConfig freeze = finetuningType != FinetuningType.FREEZE
                    ? null
                    : valid(
                            p,
                            () -> FreezeConfig.of(
                                    freezeTrainableLayers,
                                    freezeTrainableModules == null ? "all" : freezeTrainableModules,
                                    freezeExtraModules == null ? "" : freezeExtraModules),
                            "freeze_trainable_layers",
                            "freeze_trainable_modules",
                            "freeze_extra_modules");
            p.require(
                    !adapter.contains(","),
                    "adapter_name_or_path",
                    "continues one adapter; LLaMA-Factory's "
                            + "list form merges all but the last into the base first: export the base with those merged "
                            + "(export.export_dir) and train on it with the last one");
            p.require(
                    adapter.isEmpty() || finetuningType == null || finetuningType == FinetuningType.LORA,
                    "adapter_name_or_path",
                    "continues a LoRA adapter: it needs finetuning_type = lora (as in "
                            + "LLaMA-Factory); for " + (finetuningType == null ? "" : finetuningType.key())
                            + " train on the merged model (export it) instead");
            if (preference != null) {
                valid(p, preference::loss, "pref_loss", "pref_beta", "pref_ftx", "dpo_label_smoothing", "simpo_gamma");
                valid(
                        p,
                        () -> {
                            preference.checkReference(modelPath);
                            return null;
                        },
                        // the longer key first: keyOf takes the first key the message begins with
                        "ref_model_adapters",
                        "ref_model");
                p.require(
                        !preference.adaptersOff() || finetuningType == null || finetuningType == FinetuningType.LORA,
                        "ref_logprobs",
                        "adapters_off turns LoRA adapters off to get the reference (their base model), so it needs "
                                + "finetuning_type = lora; for " + (finetuningType == null ? "" : finetuningType.key())
                                + " set ref_logprobs = table (the ref-logprobs verb scores the reference beforehand)");
            }
            p.require(
                    !(finetuningType == FinetuningType.FREEZE && sharding == Sharding.FULL_SHARD),
                    "fsdp",
                    "full_shard is for finetuning_type = full or lora; for freeze use shard_grad_op (freeze trains "
                            + "whole layers of the base, which full_shard would have to split into frozen and "
                            + "trained shards)");
            p.throwIfAny(TrainConfigException::new);
            return new TrainConfig(
                    modelPath,
                    table,
                    outputDir,
                    new Finetuning(finetuningType, lora, loraplusLrRatio, freeze, adapter),
                    new Optimizer(adamW, maxGradNorm),
                    new Schedule(scheduler, warmupSteps, warmupRatio, epochs, Math.max(0, maxSteps)),
                    new Batch(perDeviceBatchRows, gradientAccumulation, globalBatchRows),
                    new Parallelism(worldSize, sharding, device),
                    new Activations(gradientCheckpointing, lossChunkTokens),
                    new Checkpointing(saveSteps, saveTotalLimit, resume, overwriteOutputDir),
                    new Metrics(loggingSteps, peakFlopsPerRank),
                    seed,
                    preference);
        }
    }

    /**
     * A part built by its own checks (LoRA, freeze, AdamW, the preference loss), or null if they fail. Their messages
     * begin with the key they are about: the problem goes under that one of {@code keys}, else under the first.
     */
    private static <T> T valid(SettingProblems p, Supplier<T> part, String... keys) {
        try {
            return part.get();
        } catch (IllegalArgumentException e) {
            p.require(false, TrainConfigException.keyOf(e.getMessage(), keys), e.getMessage());
            return null;
        }
    }
}
