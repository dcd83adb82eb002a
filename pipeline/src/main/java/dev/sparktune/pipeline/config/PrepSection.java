package dev.sparktune.pipeline.config;

import com.typesafe.config.ConfigValueType;
import dev.sparktune.preprocess.api.OverlongPolicy;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.template.ChatTemplates;
import java.util.List;
import java.util.Locale;

/**
 * Reads the {@code data} and {@code prep} sections (plus the model section's template keys) into a
 * {@link PrepConfig}, reporting every bad value with its key and what is allowed.
 */
final class PrepSection {
    private static final List<String> STAGES = List.of("sft", "pt", "dpo");
    private static final List<String> OVERLONG = List.of("truncate", "reject");

    private PrepSection() {}

    /** The prep settings; null when {@code verb} does not prep or a problem was reported. */
    static PrepConfig read(ValueReader reader, Verb verb, String modelPath) {
        String template = reader.choice("model.template", ChatTemplates.names());
        boolean enableThinking = reader.bool("model.enable_thinking");

        List<String> datasets =
                reader.names("data.dataset", "a list of dataset names or paths, or one comma-separated string");
        String datasetDir = reader.nonBlankText("data.dataset_dir", "a folder (local path or Hadoop URI)");
        String stageName = reader.choice("data.stage", STAGES);
        long cutoffLen = reader.wholeNumber("data.cutoff_len", 2, Integer.MAX_VALUE);
        Boolean packing = packing(reader);
        boolean neatPacking = reader.bool("data.neat_packing");
        boolean trainOnPrompt = reader.bool("data.train_on_prompt");
        boolean maskHistory = reader.bool("data.mask_history");
        double valSize = valSize(reader);
        long maxSamples = reader.wholeNumber("data.max_samples", 0, Long.MAX_VALUE);
        String overlong = reader.choice("data.overlong", OVERLONG);
        long seed = reader.wholeNumber("data.seed", Long.MIN_VALUE, Long.MAX_VALUE);

        String outputTable = reader.text("prep.output_table", "a table path (local path or Hadoop URI)");
        String rejectsTable = reader.nonBlankText("prep.rejects_table", "a table path (local path or Hadoop URI)");
        String statsPath = reader.nonBlankText("prep.stats_path", "a file path (local path or Hadoop URI)");
        long partitions = reader.wholeNumber("prep.partitions", 0, Integer.MAX_VALUE);

        if (trainOnPrompt && maskHistory) {
            reader.fail(
                    "data.mask_history",
                    "cannot be true together with sparktune.data.train_on_prompt = true "
                            + "(history turns are either masked or trained on); set one of them to false");
        }
        if (verb.needsPrepSection()) {
            if ("".equals(modelPath)) { // null: a bad value, reported already
                reader.fail(
                        "model.model_name_or_path",
                        "required by prep: the model directory holding " + "tokenizer.json (local path or Hadoop URI)");
            }
            if (datasets != null && datasets.isEmpty()) {
                reader.fail("data.dataset", "required by prep: at least one dataset name or path");
            }
            if ("".equals(outputTable)) {
                reader.fail("prep.output_table", "required by prep: the path of the packed Delta table to write");
            }
        }
        if (!verb.needsPrepSection() || reader.hasProblems()) {
            return null;
        }
        Stage stage = Stage.valueOf(stageName.toUpperCase(Locale.ROOT));
        boolean packed = neatPacking || (packing == null ? stage == Stage.PT : packing);
        try {
            return PrepConfig.builder()
                    .datasets(datasets)
                    .datasetDir(datasetDir)
                    .maxSamples(maxSamples)
                    .modelPath(modelPath)
                    .stage(stage)
                    .template(template)
                    .enableThinking(enableThinking)
                    .cutoffLen((int) cutoffLen)
                    .trainOnPrompt(trainOnPrompt)
                    .maskHistory(maskHistory)
                    .overlong(OverlongPolicy.valueOf(overlong.toUpperCase(Locale.ROOT)))
                    .packing(packed)
                    .valSize(valSize)
                    .seed(seed)
                    .partitions((int) partitions)
                    .outputs(new PrepConfig.Outputs(outputTable, rejectsTable, statsPath))
                    .build();
        } catch (IllegalArgumentException e) {
            // PrepConfig checks the same ranges; reached only if the two ever disagree
            reader.fail("data", e.getMessage());
            return null;
        }
    }

    /** {@code auto} reads as null: LLaMA-Factory's default, packing for stage pt only. */
    private static Boolean packing(ValueReader reader) {
        var value = reader.raw("data.packing");
        if (value == null) {
            return null;
        }
        if (value.valueType() == ConfigValueType.STRING
                && ((String) value.unwrapped()).strip().equalsIgnoreCase("auto")) {
            return null;
        }
        Boolean parsed = ValueReader.asBoolean(value);
        if (parsed == null) {
            reader.fail("data.packing", value, "auto, true or false");
        }
        return parsed;
    }

    /** data.val_size by {@link PrepConfig.Split}'s rule. */
    private static double valSize(ValueReader reader) {
        String allowed = "a fraction in [0, 1), a whole document count >= 1, or 0 for none";
        Double valSize = reader.number("data.val_size", allowed);
        if (valSize == null) {
            return 0;
        }
        try {
            return new PrepConfig.Split(valSize, 0).valSize();
        } catch (IllegalArgumentException e) {
            reader.fail("data.val_size", reader.raw("data.val_size"), allowed);
            return 0;
        }
    }
}
