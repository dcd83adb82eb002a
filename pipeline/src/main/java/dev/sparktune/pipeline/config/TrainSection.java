package dev.sparktune.pipeline.config;

import com.typesafe.config.ConfigValue;
import dev.sparktune.dl4j.optim.LrSchedule;
import dev.sparktune.dl4j.preference.PreferenceLoss;
import dev.sparktune.preprocess.api.SettingProblems;
import dev.sparktune.trainer.api.Device;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.api.RefLogprobsSource;
import dev.sparktune.trainer.api.SettingValue;
import dev.sparktune.trainer.api.Sharding;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.api.TrainConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads the {@code train} section (plus {@code model.model_name_or_path}) into a {@link TrainConfig}, reporting every
 * bad value with its key and what is allowed.
 */
final class TrainSection {
    private static final List<String> FINETUNING = SettingValue.keys(FinetuningType.class);
    private static final List<String> SCHEDULERS = List.of("cosine", "linear", "constant");
    private static final List<String> DEVICES = SettingValue.keys(Device.class);
    private static final List<String> PREF_LOSSES = Arrays.stream(PreferenceLoss.Type.values())
            .map(PreferenceLoss.Type::key)
            .toList();
    private static final List<String> REF_LOGPROBS_SOURCES = SettingValue.keys(RefLogprobsSource.class);
    /** TrainConfig's keys that live in the model section. */
    private static final List<String> MODEL_KEYS = List.of("model_name_or_path", "adapter_name_or_path");

    private static final String FSDP_ALLOWED = "auto, no_shard, shard_grad_op or full_shard (\"\" = no_shard, "
            + "as in transformers; its \"full_shard auto_wrap\" form accepted)";

    private TrainSection() {}

    /**
     * The training settings; null when {@code verb} does not train or a problem was reported.
     *
     * @param modelPath   model.model_name_or_path as the prep section read it (null if it was bad)
     * @param adapterPath model.adapter_name_or_path: the adapter a LoRA run continues ("" = new ones; null if bad)
     * @param preference  the preference keys as {@link #preference} read them
     */
    static TrainConfig read(
            ValueReader reader, Verb verb, String modelPath, String adapterPath, PreferenceConfig preference) {
        String table = reader.text("train.table", "a table path (local path or Hadoop URI)");
        String outputDir = reader.text("train.output_dir", "a directory (local path or Hadoop URI)");
        String finetuning = reader.choice("train.finetuning_type", FINETUNING);
        int loraRank = reader.integer("train.lora_rank");
        Double loraAlpha = number(reader, "train.lora_alpha");
        Double loraDropout = number(reader, "train.lora_dropout");
        String loraTarget = reader.text("train.lora_target", "all, or a comma-separated list of projections");
        boolean rsLora = reader.bool("train.use_rslora");
        Double loraplus = number(reader, "train.loraplus_lr_ratio");
        int freezeLayers = reader.integer("train.freeze_trainable_layers");
        String freezeModules = reader.text(
                "train.freeze_trainable_modules",
                "all, or a comma-separated "
                        + "list of decoder-layer modules (self_attn, mlp, input_layernorm, post_attention_layernorm)");
        String freezeExtra = reader.text(
                "train.freeze_extra_modules",
                "\"\" or a comma-separated list of modules "
                        + "outside the decoder layers (embed_tokens, norm, lm_head)");
        Double lr = number(reader, "train.learning_rate");
        String scheduler = reader.choice("train.lr_scheduler_type", SCHEDULERS);
        int warmupSteps = reader.integer("train.warmup_steps");
        Double warmupRatio = number(reader, "train.warmup_ratio");
        Double weightDecay = number(reader, "train.weight_decay");
        Double beta1 = number(reader, "train.adam_beta1");
        Double beta2 = number(reader, "train.adam_beta2");
        Double eps = number(reader, "train.adam_epsilon");
        Double maxGradNorm = number(reader, "train.max_grad_norm");
        int perDevice = reader.integer("train.per_device_train_batch_size");
        int accumulation = reader.integer("train.gradient_accumulation_steps");
        int globalBatch = reader.integer("train.global_batch_rows");
        Double epochs = number(reader, "train.num_train_epochs");
        int maxSteps = reader.integer("train.max_steps");
        long seed = seed(reader);
        int loggingSteps = reader.integer("train.logging_steps");
        int saveSteps = reader.integer("train.save_steps");
        int saveTotalLimit = reader.integer("train.save_total_limit");
        String resume = reader.text(
                "train.resume_from_checkpoint", "a checkpoint directory, or \"\" for the newest " + "in output_dir");
        boolean overwrite = reader.bool("train.overwrite_output_dir");
        int worldSize = reader.integer("train.world_size");
        Sharding sharding = fsdp(reader);
        String device = reader.choice("train.device", DEVICES);
        int lossChunk = reader.integer("train.loss_chunk_tokens");
        boolean checkpointing = reader.bool("train.gradient_checkpointing");
        Double peakFlops = number(reader, "train.peak_flops_per_rank");

        if (verb.needsTrainSection()) {
            if ("".equals(modelPath)) {
                reader.fail(
                        "model.model_name_or_path",
                        "required by train: the base model directory (config.json, "
                                + "*.safetensors, tokenizer files; local path or Hadoop URI)");
            }
            if ("".equals(table)) {
                reader.fail(
                        "train.table",
                        "required by train: the packed Delta table written by prep (defaults to "
                                + "prep.output_table)");
            }
            if ("".equals(outputDir)) {
                reader.fail("train.output_dir", "required by train: where the model or adapter and checkpoints go");
            }
        }
        boolean trains = verb.needsTrainSection();
        TrainConfig config;
        try {
            // Every rule lives in TrainConfig alone and comes back one problem per key. Values reported bad above are
            // read as placeholders (NaN for numbers), so their keys' problems are dropped here: the rest are reported
            // with them, all in one go. A verb that does not train still gets its train values' ranges checked (a
            // config is checked whole), but not the paths train requires nor the rules between keys.
            config = TrainConfig.builder()
                    .modelPath(modelPath == null || !trains ? "?" : modelPath)
                    .table(trains ? table : "?")
                    .outputDir(trains ? outputDir : "?")
                    .finetuningType(SettingValue.parse(FinetuningType.class, "finetuning_type", finetuning))
                    .lora(loraRank, nan(loraAlpha), nan(loraDropout), loraTarget, rsLora)
                    .loraplusLrRatio(nan(loraplus))
                    .freeze(freezeLayers, freezeModules, freezeExtra)
                    .learningRate(nan(lr))
                    .scheduler(LrSchedule.Type.valueOf(scheduler.toUpperCase(Locale.ROOT)))
                    .warmupSteps(warmupSteps)
                    .warmupRatio(nan(warmupRatio))
                    .weightDecay(nan(weightDecay))
                    .adam(nan(beta1), nan(beta2), nan(eps))
                    .maxGradNorm(nan(maxGradNorm))
                    .perDeviceBatchRows(perDevice)
                    .gradientAccumulation(accumulation)
                    .globalBatchRows(globalBatch)
                    .epochs(nan(epochs))
                    .maxSteps(maxSteps)
                    .seed(seed)
                    .loggingSteps(loggingSteps)
                    .saveSteps(saveSteps)
                    .saveTotalLimit(saveTotalLimit)
                    .resumeFromCheckpoint(resume)
                    .overwriteOutputDir(overwrite)
                    .worldSize(worldSize)
                    .sharding(sharding)
                    .device(SettingValue.parse(Device.class, "device", device))
                    .lossChunkTokens(lossChunk)
                    .gradientCheckpointing(checkpointing)
                    .peakFlopsPerRank(nan(peakFlops))
                    .adapterNameOrPath(adapterPath)
                    .preference(preference)
                    .build();
        } catch (TrainConfigException e) {
            for (SettingProblems.Problem problem : e.problems()) {
                String key = MODEL_KEYS.contains(problem.key()) ? "model." + problem.key() : "train." + problem.key();
                if (trains || problem.allowed() != null) {
                    reader.fail(key, problem, withoutKey(problem.message(), problem.key()));
                }
            }
            return null;
        }
        return reader.hasProblems() || !trains ? null : config;
    }

    /**
     * How a table of preference pairs trains: pref_loss and its options, and the reference (which the ref-logprobs
     * verb scores with, or the model with its adapters off). Read once for every verb; bad values are reported here.
     */
    static PreferenceConfig preference(ValueReader reader, String modelPath) {
        String loss = reader.choice("train.pref_loss", PREF_LOSSES);
        Double beta = number(reader, "train.pref_beta");
        Double ftx = number(reader, "train.pref_ftx");
        Double smoothing = number(reader, "train.dpo_label_smoothing");
        Double gamma = number(reader, "train.simpo_gamma");
        String refModel = reader.text("train.ref_model", "a model directory, or \"\" for model.model_name_or_path");
        String refAdapters = reader.text("train.ref_model_adapters", "a PEFT adapter directory, or \"\"");
        String refTable = reader.text(
                "train.ref_logprobs_table",
                "a Delta table path (local path or Hadoop URI), or " + "\"\" for train.table + "
                        + PreferenceConfig.REF_TABLE_SUFFIX);
        RefLogprobsSource source = SettingValue.parse(
                RefLogprobsSource.class, "ref_logprobs", reader.choice("train.ref_logprobs", REF_LOGPROBS_SOURCES));
        PreferenceConfig preference = new PreferenceConfig(
                loss, nan(beta), nan(ftx), nan(smoothing), nan(gamma), refModel, refAdapters, refTable, source);
        try {
            // PreferenceLoss holds every rule of these keys (ranges and between keys), for every verb: eval scores
            // pairs too
            preference.loss();
        } catch (IllegalArgumentException e) {
            String key = "train."
                    + TrainConfigException.keyOf(
                            e.getMessage(), "pref_loss", "pref_beta", "pref_ftx", "dpo_label_smoothing", "simpo_gamma");
            if (!reader.reported(key)) {
                reader.fail(key, withoutKey(e.getMessage(), key.substring("train.".length())));
            }
        }
        try {
            // the reference keys' rules hold for every verb: eval computes an adapters-off reference too
            preference.checkReference(modelPath);
        } catch (IllegalArgumentException e) {
            String key = "train." + TrainConfigException.keyOf(e.getMessage(), "ref_model_adapters", "ref_model");
            if (!reader.reported(key)) {
                reader.fail(key, withoutKey(e.getMessage(), key.substring("train.".length())));
            }
        }
        return preference;
    }

    /**
     * A part's message (LoRA's, AdamW's, PreferenceLoss's) without the key it begins with, reported under it, where
     * the rest reads alone ("must be ...", "\"x\" is not ..."; not "= 0 and ...").
     */
    private static String withoutKey(String message, String key) {
        if (!message.startsWith(key + " ") || message.length() == key.length() + 1) {
            return message;
        }
        char next = message.charAt(key.length() + 1);
        return Character.isLetter(next) || next == '"' ? message.substring(key.length() + 1) : message;
    }

    /** A number reported bad (null) as NaN, which fails every rule about its key. */
    private static double nan(Double value) {
        return value == null ? Double.NaN : value;
    }

    private static long seed(ValueReader reader) {
        return inheritedSeed(reader, "train.seed");
    }

    /**
     * train.seed and eval.seed default to data.seed by substitution: when {@code key} still holds that value, a bad
     * value was reported under data.seed already.
     */
    static long inheritedSeed(ValueReader reader, String key) {
        ConfigValue data = reader.raw("data.seed");
        ConfigValue train = reader.raw(key);
        boolean inherited =
                data == null ? train == null : train != null && data.unwrapped().equals(train.unwrapped());
        if (!inherited) {
            return reader.wholeNumber(key, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        try {
            return Long.parseLong(String.valueOf(train.unwrapped()).strip());
        } catch (RuntimeException e) {
            return 0; // reported under data.seed
        }
    }

    /**
     * transformers' {@code fsdp} is a space-separated option string ("full_shard auto_wrap"); its sharding word picks
     * the strategy, auto_wrap is what SparkTune always does (per decoder layer), "" means no FSDP, i.e. DDP.
     */
    private static Sharding fsdp(ValueReader reader) {
        String text = reader.text("train.fsdp", FSDP_ALLOWED);
        if (text == null) {
            return Sharding.AUTO; // reported
        }
        List<String> words =
                new ArrayList<>(List.of(text.toLowerCase(Locale.ROOT).split("\\s+")));
        words.removeIf(w -> w.isEmpty() || w.equals("auto_wrap"));
        if (words.isEmpty()) {
            return Sharding.NO_SHARD;
        }
        if (words.size() == 1) {
            for (Sharding s : Sharding.values()) {
                if (s.key().equals(words.get(0))) {
                    return s;
                }
            }
        }
        String why = words.contains("offload")
                ? "; CPU offload is not available (training already runs on the " + "executor's memory)"
                : words.contains("hybrid_shard") ? "; hybrid_shard is not available" : "";
        reader.fail("train.fsdp", reader.raw("train.fsdp"), FSDP_ALLOWED + why);
        return Sharding.AUTO;
    }

    /**
     * A number, or null (reported) when the value is not one. Its range is TrainConfig's rule (or its parts'), reported
     * under the key when the config is built.
     */
    private static Double number(ValueReader reader, String key) {
        return reader.number(key, "a number");
    }
}
