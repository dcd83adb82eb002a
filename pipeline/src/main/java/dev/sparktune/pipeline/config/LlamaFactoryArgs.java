package dev.sparktune.pipeline.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a LLaMA-Factory arguments file ({@code .yaml}, {@code .yml} or {@code .json}: one flat mapping of argument
 * names to values, as in LLaMA-Factory's {@code examples/train_lora/*.yaml}) into SparkTune's tree.
 *
 * <p>Every key is handled one of five ways:
 * <ul>
 *   <li><b>mapped</b> onto a SparkTune key ({@link #MAPPED}), e.g. {@code cutoff_len} →
 *       {@code sparktune.data.cutoff_len};
 *       {@code tokenized_path} (where LLaMA-Factory saves its tokenized data) becomes {@code prep.output_table}.
 *       A null value leaves SparkTune's default, which matches LLaMA-Factory's null meaning
 *       ({@code max_samples: null} = all, {@code packing: null} = auto).</li>
 *   <li><b>data- or training-shaping but not supported</b> ({@link #SUPPORTED_ONLY_AT_DEFAULT},
 *       {@link #TRAINING_ONLY_AT_DEFAULT}): accepted when set to LLaMA-Factory's default (or null), an error
 *       otherwise, because ignoring it would silently produce different data or weights than LLaMA-Factory would
 *       ({@code mix_strategy: interleave_under}, {@code use_dora: true}, ...).</li>
 *   <li><b>ignored with a warning</b>: evaluation, export, inference and precision arguments ({@link #TRAINING});
 *       and LLaMA-Factory process tuning that Spark makes moot ({@link #NOT_NEEDED}: worker counts, caches, hub
 *       downloads).</li>
 *   <li><b>run switches</b> ({@link #RUN_SWITCHES}: do_train, do_eval, do_predict, with export_dir): the run verb's
 *       stages; a missing {@code tokenized_path} puts the packed table at {@code <output_dir>_tokenized}.</li>
 *   <li>anything else: an error naming the key and the closest known one.</li>
 * </ul>
 */
final class LlamaFactoryArgs {

    /** LLaMA-Factory argument → SparkTune key (relative to {@code sparktune}). */
    static final Map<String, String> MAPPED = Map.ofEntries(
            Map.entry("model_name_or_path", "model.model_name_or_path"),
            Map.entry("template", "model.template"),
            Map.entry("enable_thinking", "model.enable_thinking"),
            Map.entry("dataset", "data.dataset"),
            Map.entry("dataset_dir", "data.dataset_dir"),
            Map.entry("stage", "data.stage"),
            Map.entry("cutoff_len", "data.cutoff_len"),
            Map.entry("packing", "data.packing"),
            Map.entry("neat_packing", "data.neat_packing"),
            Map.entry("train_on_prompt", "data.train_on_prompt"),
            Map.entry("mask_history", "data.mask_history"),
            Map.entry("val_size", "data.val_size"),
            Map.entry("max_samples", "data.max_samples"),
            Map.entry("seed", "data.seed"),
            Map.entry("tokenized_path", "prep.output_table"),
            Map.entry("output_dir", "train.output_dir"),
            Map.entry("overwrite_output_dir", "train.overwrite_output_dir"),
            Map.entry("per_device_train_batch_size", "train.per_device_train_batch_size"),
            Map.entry("gradient_accumulation_steps", "train.gradient_accumulation_steps"),
            Map.entry("learning_rate", "train.learning_rate"),
            Map.entry("weight_decay", "train.weight_decay"),
            Map.entry("adam_beta1", "train.adam_beta1"),
            Map.entry("adam_beta2", "train.adam_beta2"),
            Map.entry("adam_epsilon", "train.adam_epsilon"),
            Map.entry("max_grad_norm", "train.max_grad_norm"),
            Map.entry("num_train_epochs", "train.num_train_epochs"),
            Map.entry("max_steps", "train.max_steps"),
            Map.entry("lr_scheduler_type", "train.lr_scheduler_type"),
            Map.entry("warmup_ratio", "train.warmup_ratio"),
            Map.entry("warmup_steps", "train.warmup_steps"),
            Map.entry("logging_steps", "train.logging_steps"),
            Map.entry("save_steps", "train.save_steps"),
            Map.entry("save_total_limit", "train.save_total_limit"),
            Map.entry("resume_from_checkpoint", "train.resume_from_checkpoint"),
            Map.entry("fsdp", "train.fsdp"),
            Map.entry("finetuning_type", "train.finetuning_type"),
            Map.entry("lora_alpha", "train.lora_alpha"),
            Map.entry("lora_dropout", "train.lora_dropout"),
            Map.entry("lora_rank", "train.lora_rank"),
            Map.entry("lora_target", "train.lora_target"),
            Map.entry("use_rslora", "train.use_rslora"),
            Map.entry("loraplus_lr_ratio", "train.loraplus_lr_ratio"),
            Map.entry("freeze_trainable_layers", "train.freeze_trainable_layers"),
            Map.entry("freeze_trainable_modules", "train.freeze_trainable_modules"),
            Map.entry("freeze_extra_modules", "train.freeze_extra_modules"),
            Map.entry("adapter_name_or_path", "model.adapter_name_or_path"),
            Map.entry("ref_model", "train.ref_model"),
            Map.entry("ref_model_adapters", "train.ref_model_adapters"),
            Map.entry("pref_loss", "train.pref_loss"),
            Map.entry("pref_beta", "train.pref_beta"),
            Map.entry("pref_ftx", "train.pref_ftx"),
            Map.entry("dpo_label_smoothing", "train.dpo_label_smoothing"),
            Map.entry("simpo_gamma", "train.simpo_gamma"),
            Map.entry("export_dir", "export.export_dir"),
            Map.entry("export_size", "export.export_size"),
            Map.entry("predict_with_generate", "eval.predict_with_generate"),
            Map.entry("max_new_tokens", "eval.max_new_tokens"),
            Map.entry("per_device_eval_batch_size", "eval.per_device_eval_batch_size"),
            Map.entry("do_sample", "eval.do_sample"),
            Map.entry("temperature", "eval.temperature"),
            Map.entry("top_p", "eval.top_p"),
            Map.entry("top_k", "eval.top_k"));

    /**
     * Arguments that change the prepared data, which SparkTune does not implement: accepted only at LLaMA-Factory's
     * default value (null = unset is always accepted).
     */
    static final Map<String, Object> SUPPORTED_ONLY_AT_DEFAULT = Map.ofEntries(
            Map.entry("eval_dataset", Optional.empty()),
            Map.entry("media_dir", Optional.empty()),
            Map.entry("streaming", false),
            Map.entry("mix_strategy", "concat"),
            Map.entry("interleave_probs", Optional.empty()),
            Map.entry("tool_format", Optional.empty()),
            Map.entry("default_system", Optional.empty()),
            Map.entry("ignore_pad_token_for_loss", true),
            Map.entry("eval_on_each_dataset", false),
            Map.entry("use_fast_tokenizer", true),
            Map.entry("split_special_tokens", false),
            Map.entry("resize_vocab", false),
            Map.entry("add_tokens", Optional.empty()),
            Map.entry("add_special_tokens", Optional.empty()),
            Map.entry("new_special_tokens_config", Optional.empty()));

    /**
     * Training arguments that change what is trained, which SparkTune does not implement (other optimizers and
     * adapter methods, noise, label smoothing): accepted only at LLaMA-Factory's default.
     */
    static final Map<String, Object> TRAINING_ONLY_AT_DEFAULT = Map.ofEntries(
            Map.entry("optim", "adamw_torch"),
            Map.entry("use_dora", false),
            Map.entry("pissa_init", false),
            Map.entry("loraplus_lr_embedding", 1e-6),
            Map.entry("use_galore", false),
            Map.entry("use_apollo", false),
            Map.entry("use_badam", false),
            Map.entry("use_llama_pro", false),
            Map.entry("use_adam_mini", false),
            Map.entry("use_muon", false),
            Map.entry("use_dft_loss", false),
            Map.entry("neftune_noise_alpha", Optional.empty()),
            Map.entry("label_smoothing_factor", 0.0),
            // preference-loss variants SparkTune does not train (BCO's added term, LD-DPO's length weighting)
            Map.entry("pref_bco_weight", 0.0),
            Map.entry("ld_alpha", Optional.empty()),
            Map.entry("additional_target", Optional.empty()),
            Map.entry("lr_scheduler_kwargs", Optional.empty()),
            Map.entry("create_new_adapter", false),
            Map.entry("train_from_scratch", false),
            Map.entry("disable_shuffling", false),
            Map.entry("module_dropout", 0.0),
            // set, LLaMA-Factory adds the MoE load-balancing loss (output_router_logits), which SparkTune does not
            Map.entry("moe_aux_loss_coef", Optional.empty()));

    /** LLaMA-Factory's switches of what a run does: they pick the run verb's stages ({@link #runStages}). */
    static final Set<String> RUN_SWITCHES = Set.of("do_train", "do_eval", "do_predict");

    /** LLaMA-Factory process tuning that Spark makes moot: ignored with a warning. */
    static final Set<String> NOT_NEEDED = Set.of(
            "preprocessing_num_workers",
            "preprocessing_batch_size",
            "overwrite_cache",
            "buffer_size",
            "dataloader_num_workers",
            "dataloader_pin_memory",
            "dataloader_persistent_workers",
            "dataloader_prefetch_factor",
            "dataloader_drop_last",
            "dataloader_in_order",
            "dataloader_multiprocessing_context",
            "trust_remote_code",
            "cache_dir",
            "model_revision",
            "hf_hub_token",
            "ms_hub_token",
            "om_hub_token",
            "low_cpu_mem_usage",
            "print_param_status",
            "use_cpu",
            "no_cuda",
            "local_rank",
            "ddp_timeout",
            "ddp_backend",
            "ddp_find_unused_parameters",
            "ddp_bucket_cap_mb",
            "ddp_broadcast_buffers",
            "ddp_static_graph",
            "disable_tqdm",
            "log_level",
            "log_level_replica",
            "log_on_each_node",
            "skip_memory_metrics",
            "use_mca",
            "ray_run_name",
            "ray_storage_path",
            "ray_storage_filesystem",
            "ray_num_workers",
            "resources_per_worker",
            "placement_strategy",
            "ray_init_kwargs",
            "use_ray",
            "master_port",
            "master_addr");

    /**
     * Evaluation, export, inference, precision and reporting arguments (the rest of LLaMA-Factory's finetuning, model,
     * generating, evaluation and export arguments, and of Hugging Face's TrainingArguments): ignored with a warning
     * (bf16/fp16: SparkTune trains in fp32; deepspeed: use train.fsdp).
     */
    static final Set<String> TRAINING = Set.of(
            // Hugging Face Seq2SeqTrainingArguments, as LLaMA-Factory passes them through
            "eval_strategy",
            "evaluation_strategy",
            "prediction_loss_only",
            "per_gpu_train_batch_size",
            "per_gpu_eval_batch_size",
            "eval_accumulation_steps",
            "eval_delay",
            "torch_empty_cache_steps",
            "logging_dir",
            "logging_strategy",
            "logging_first_step",
            "logging_nan_inf_filter",
            "save_strategy",
            "save_safetensors",
            "save_on_each_node",
            "save_only_model",
            "restore_callback_states_from_checkpoint",
            "data_seed",
            "jit_mode_eval",
            "bf16",
            "fp16",
            "fp16_opt_level",
            "half_precision_backend",
            "bf16_full_eval",
            "fp16_full_eval",
            "tf32",
            "debug",
            "eval_steps",
            "past_index",
            "run_name",
            "remove_unused_columns",
            "label_names",
            "load_best_model_at_end",
            "metric_for_best_model",
            "greater_is_better",
            "ignore_data_skip",
            "fsdp_config",
            "fsdp_min_num_params",
            "fsdp_transformer_layer_cls_to_wrap",
            "accelerator_config",
            "parallelism_config",
            "deepspeed",
            "optim_args",
            "optim_target_modules",
            "adafactor",
            "group_by_length",
            "length_column_name",
            "train_sampling_strategy",
            "report_to",
            "project",
            "push_to_hub",
            "hub_model_id",
            "hub_strategy",
            "hub_token",
            "hub_private_repo",
            "hub_always_push",
            "hub_revision",
            "gradient_checkpointing",
            "gradient_checkpointing_kwargs",
            "include_inputs_for_metrics",
            "include_for_metrics",
            "eval_do_concat_batches",
            "auto_find_batch_size",
            "full_determinism",
            "torchdynamo",
            "ray_scope",
            "torch_compile",
            "torch_compile_backend",
            "torch_compile_mode",
            "include_tokens_per_second",
            "include_num_input_tokens_seen",
            "batch_eval_metrics",
            "eval_on_start",
            "use_liger_kernel",
            "liger_kernel_config",
            "eval_use_gather_object",
            "average_tokens_across_devices",
            "enable_jit_checkpoint",
            "use_cache",
            "trackio_bucket_id",
            "trackio_space_id",
            "trackio_static_space_id",
            "sortish_sampler",
            "generation_max_length",
            "generation_num_beams",
            "generation_config",
            // LLaMA-Factory finetuning arguments
            "pure_bf16",
            "freeze_vision_tower",
            "freeze_multi_modal_projector",
            "freeze_language_model",
            "compute_accuracy",
            "early_stopping_steps",
            "plot_loss",
            "include_effective_tokens_per_second",
            "pissa_iter",
            "pissa_convert",
            "oft_rank",
            "oft_block_size",
            "oft_target",
            "kto_chosen_weight",
            "kto_rejected_weight",
            "ppo_buffer_size",
            "ppo_epochs",
            "ppo_score_norm",
            "ppo_target",
            "ppo_whiten_rewards",
            "ref_model_quantization_bit",
            "reward_model",
            "reward_model_adapters",
            "reward_model_quantization_bit",
            "reward_model_type",
            "galore_target",
            "galore_rank",
            "galore_update_interval",
            "galore_scale",
            "galore_proj_type",
            "galore_layerwise",
            "apollo_target",
            "apollo_rank",
            "apollo_update_interval",
            "apollo_scale",
            "apollo_proj",
            "apollo_proj_type",
            "apollo_scale_type",
            "apollo_layerwise",
            "apollo_scale_front",
            "badam_mode",
            "badam_start_block",
            "badam_switch_mode",
            "badam_switch_interval",
            "badam_update_ratio",
            "badam_mask_mode",
            "badam_verbose",
            "use_swanlab",
            "swanlab_project",
            "swanlab_workspace",
            "swanlab_run_name",
            "swanlab_mode",
            "swanlab_api_key",
            "swanlab_logdir",
            "swanlab_lark_webhook_url",
            "swanlab_lark_secret",
            // LLaMA-Factory model arguments about loading and running the model
            "adapter_folder",
            "rope_scaling",
            "flash_attn",
            "shift_attn",
            "mixture_of_depths",
            "use_unsloth",
            "use_unsloth_gc",
            "enable_liger_kernel",
            "use_reentrant_gc",
            "upcast_layernorm",
            "upcast_lmhead_output",
            "infer_backend",
            "offload_folder",
            "use_kv_cache",
            "use_v1_kernels",
            "infer_dtype",
            "init_special_tokens",
            "quantization_method",
            "quantization_bit",
            "quantization_type",
            "double_quantization",
            "quantization_device_map",
            "fp8",
            "fp8_backend",
            "fp8_enable_fsdp_float8_all_gather",
            "image_max_pixels",
            "image_min_pixels",
            "image_do_pan_and_scan",
            "crop_to_patches",
            "video_max_pixels",
            "video_min_pixels",
            "video_fps",
            "video_maxlen",
            "use_audio_in_video",
            "audio_sampling_rate",
            "export_device",
            "export_quantization_bit",
            "export_quantization_dataset",
            "export_quantization_nsamples",
            "export_quantization_maxlen",
            "export_legacy_format",
            "export_hub_model_id",
            "vllm_maxlen",
            "vllm_gpu_util",
            "vllm_enforce_eager",
            "vllm_max_lora_rank",
            "vllm_config",
            "sglang_maxlen",
            "sglang_mem_fraction",
            "sglang_tp_size",
            "sglang_config",
            "sglang_lora_backend",
            "use_kt",
            "kt_optimize_rule",
            "cpu_infer",
            "chunk_size",
            "mode",
            "kt_maxlen",
            "kt_use_cuda_graph",
            "kt_mode",
            "kt_force_think",
            // LLaMA-Factory generating and evaluation arguments
            "num_beams",
            "max_length",
            "repetition_penalty",
            "length_penalty",
            "skip_special_tokens",
            "eval_num_beams",
            "task",
            "task_dir",
            "batch_size",
            "lang",
            "n_shot",
            "save_dir",
            "download_mode");

    private LlamaFactoryArgs() {}

    /** Mapped onto train.gradient_checkpointing, negated. */
    static final String DISABLE_GRADIENT_CHECKPOINTING = "disable_gradient_checkpointing";

    /** Every argument name this class knows, for suggestions. */
    static Set<String> knownKeys() {
        Set<String> all = new TreeSet<>(MAPPED.keySet());
        all.add(DISABLE_GRADIENT_CHECKPOINTING);
        all.addAll(SUPPORTED_ONLY_AT_DEFAULT.keySet());
        all.addAll(TRAINING_ONLY_AT_DEFAULT.keySet());
        all.addAll(NOT_NEEDED);
        all.addAll(RUN_SWITCHES);
        all.addAll(TRAINING);
        return all;
    }

    /**
     * The file's arguments as a tree rooted at {@code sparktune}; problems and warnings are added to the lists. Each
     * mapped value's origin names the file and the LLaMA-Factory key, so that later errors about it point there.
     *
     * @param problems    the file cannot be read or is not a mapping
     * @param keyProblems unknown arguments, and data-shaping arguments set to what SparkTune does not support
     */
    static Config read(
            Path file, List<ConfigProblem> problems, List<ConfigProblem> keyProblems, List<ConfigProblem> warnings) {
        Map<String, Object> args;
        try {
            args = parse(file);
        } catch (IOException e) {
            problems.add(new ConfigProblem(
                    file.toString(),
                    "cannot read the LLaMA-Factory arguments file: "
                            + (e instanceof JsonProcessingException j
                                    ? j.getOriginalMessage() + location(j)
                                    : e.toString())));
            return ConfigFactory.empty();
        }
        if (args == null) {
            return ConfigFactory.empty();
        }
        String fileName = file.getFileName().toString();
        Config tree = ConfigFactory.empty(fileName);
        Set<String> known = knownKeys();
        List<String> ignoredTraining = new ArrayList<>();
        List<String> ignoredNotNeeded = new ArrayList<>();
        for (Map.Entry<String, Object> entry : args.entrySet()) {
            String key = entry.getKey();
            Object value = entry.getValue();
            String target = MAPPED.get(key);
            if (target != null) {
                if (value != null) {
                    String origin = fileName + ", LLaMA-Factory key '" + key + "'";
                    tree = tree.withValue(KeyCatalog.ROOT + "." + target, ConfigValueFactory.fromAnyRef(value, origin));
                }
            } else if (key.equals(DISABLE_GRADIENT_CHECKPOINTING)) {
                tree = disableGradientCheckpointing(value, tree, fileName, keyProblems);
            } else if (SUPPORTED_ONLY_AT_DEFAULT.containsKey(key)) {
                requireDefault(
                        key,
                        value,
                        SUPPORTED_ONLY_AT_DEFAULT.get(key),
                        "prep (it would change the prepared " + "data)",
                        fileName,
                        keyProblems);
            } else if (TRAINING_ONLY_AT_DEFAULT.containsKey(key)) {
                requireDefault(
                        key,
                        value,
                        TRAINING_ONLY_AT_DEFAULT.get(key),
                        "train (it would change what is " + "trained)",
                        fileName,
                        keyProblems);
            } else if (RUN_SWITCHES.contains(key)) {
                continue; // read by runStages
            } else if (TRAINING.contains(key)) {
                ignoredTraining.add(key);
            } else if (NOT_NEEDED.contains(key)) {
                ignoredNotNeeded.add(key);
            } else {
                keyProblems.add(new ConfigProblem(
                        key, "unknown LLaMA-Factory argument" + suggestion(key, known) + " (" + fileName + ")"));
            }
        }
        tree = tokenizedPathDefault(args, tree, fileName, warnings);
        tree = runStages(args, tree, fileName);
        if (!ignoredTraining.isEmpty()) {
            warnings.add(new ConfigProblem(
                    fileName,
                    "ignored (evaluation, export, precision and other arguments "
                            + "SparkTune's prep and train do not use): " + String.join(", ", ignoredTraining)));
        }
        if (!ignoredNotNeeded.isEmpty()) {
            warnings.add(new ConfigProblem(
                    fileName,
                    "ignored (LLaMA-Factory process settings that Spark makes moot): "
                            + String.join(", ", ignoredNotNeeded)));
        }
        return tree;
    }

    /**
     * LLaMA-Factory checkpoints activations unless {@code disable_gradient_checkpointing: true} (its model patcher
     * enables it whatever transformers' own {@code gradient_checkpointing} says, so that one is ignored).
     */
    private static Config disableGradientCheckpointing(
            Object value, Config tree, String fileName, List<ConfigProblem> keyProblems) {
        if (value == null) {
            return tree;
        }
        if (!(value instanceof Boolean disable)) {
            keyProblems.add(new ConfigProblem(
                    DISABLE_GRADIENT_CHECKPOINTING, "must be true or false, got " + value + " (" + fileName + ")"));
            return tree;
        }
        return tree.withValue(
                KeyCatalog.ROOT + ".train.gradient_checkpointing",
                ConfigValueFactory.fromAnyRef(
                        !disable, fileName + ", LLaMA-Factory key '" + DISABLE_GRADIENT_CHECKPOINTING + "' (negated)"));
    }

    /**
     * LLaMA-Factory tokenizes inside {@code train} and keeps no table unless {@code tokenized_path} is set; SparkTune
     * always writes one, next to the output directory: {@code <output_dir>_tokenized}.
     */
    private static Config tokenizedPathDefault(
            Map<String, Object> args, Config tree, String fileName, List<ConfigProblem> warnings) {
        Object outputDir = args.get("output_dir");
        if (args.get("tokenized_path") != null || !(outputDir instanceof String dir) || dir.isBlank()) {
            return tree;
        }
        String table = dir.replaceAll("/+$", "") + "_tokenized";
        warnings.add(new ConfigProblem(
                fileName,
                "tokenized_path is not set: the packed Delta table goes to " + table
                        + " (set tokenized_path to choose)"));
        return tree.withValue(
                KeyCatalog.ROOT + ".prep.output_table",
                ConfigValueFactory.fromAnyRef(table, fileName + ", derived from LLaMA-Factory key 'output_dir'"));
    }

    /**
     * What {@code run} does with a LLaMA-Factory file, from its own switches: prep and train for {@code do_train},
     * export when {@code export_dir} is set, eval for {@code do_eval} or {@code do_predict}.
     */
    private static Config runStages(Map<String, Object> args, Config tree, String fileName) {
        List<String> stages = new ArrayList<>();
        if (Boolean.TRUE.equals(args.get("do_train"))) {
            stages.addAll(List.of("prep", "train"));
        }
        if (args.get("export_dir") != null) {
            stages.add("export");
        }
        if (Boolean.TRUE.equals(args.get("do_eval")) || Boolean.TRUE.equals(args.get("do_predict"))) {
            if (stages.isEmpty()) {
                stages.add("prep");
            }
            stages.add("eval");
        }
        if (stages.isEmpty()) {
            return tree;
        }
        return tree.withValue(
                KeyCatalog.ROOT + ".run.stages",
                ConfigValueFactory.fromIterable(
                        stages,
                        fileName + ", derived from LLaMA-Factory keys do_train / export_dir / do_eval / do_predict"));
    }

    private static void requireDefault(
            String key, Object value, Object dflt, String what, String fileName, List<ConfigProblem> keyProblems) {
        boolean isDefault = value == null
                || Objects.equals(value, dflt)
                || (value instanceof Number n && dflt instanceof Number d && n.doubleValue() == d.doubleValue());
        if (!isDefault) {
            keyProblems.add(new ConfigProblem(
                    key,
                    "LLaMA-Factory argument not supported by SparkTune " + what
                            + "; allowed: "
                            + (dflt instanceof Optional<?> ? "null or leave it out" : dflt + " (its default)")
                            + ", got " + value + " (" + fileName + ")"));
        }
    }

    private static String suggestion(String key, Collection<String> known) {
        return ClosestKey.among(key, known)
                .map(k -> "; did you mean " + k + "?")
                .orElse("");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper mapper = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        Object parsed = mapper.readValue(file.toFile(), Object.class);
        if (parsed == null) {
            return null;
        }
        if (!(parsed instanceof Map<?, ?>)) {
            throw new IOException("expected a mapping of argument names to values at the top level, got "
                    + parsed.getClass().getSimpleName());
        }
        return (Map<String, Object>) parsed;
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null
                ? ""
                : " (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")";
    }
}
