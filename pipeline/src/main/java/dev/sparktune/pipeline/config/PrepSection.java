package dev.sparktune.pipeline.config;

import com.typesafe.config.ConfigValueType;
import dev.sparktune.preprocess.api.OverlongPolicy;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.PrepConfigException;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.template.ChatTemplates;
import java.util.List;
import java.util.Locale;

/**
 * Reads the {@code data} and {@code prep} sections (plus the model section's template keys) into a
 * {@link PrepConfig}, reporting every bad value with its key and what is allowed: the types here, every rule of the
 * values (ranges, and between keys) as {@link PrepConfig.Builder#build} reports it.
 */
final class PrepSection {
    private static final List<String> STAGES = List.of("sft", "pt", "dpo");
    private static final List<String> OVERLONG = List.of("truncate", "reject");

    private PrepSection() {}

    /** The prep settings; null when {@code verb} does not prep or a problem was reported. */
    static PrepConfig read(ValueReader reader, Verb verb, String modelPath) {
        String template = reader.choice("model.template", ChatTemplates.names(), ChatTemplates.AUTO_MEANS);
        boolean enableThinking = reader.bool("model.enable_thinking");

        List<String> datasets =
                reader.names("data.dataset", "a list of dataset names or paths, or one comma-separated string");
        String datasetDir = reader.nonBlankText("data.dataset_dir", "a folder (local path or Hadoop URI)");
        Stage stage = stage(reader);
        int cutoffLen = reader.integer("data.cutoff_len");
        Boolean packing = packing(reader);
        boolean neatPacking = reader.bool("data.neat_packing");
        boolean trainOnPrompt = reader.bool("data.train_on_prompt");
        boolean maskHistory = reader.bool("data.mask_history");
        Double valSize = reader.number("data.val_size", "a number"); // its range: PrepConfig's rule
        long maxSamples = reader.wholeNumber("data.max_samples", Long.MIN_VALUE, Long.MAX_VALUE);
        String overlong = reader.choice("data.overlong", OVERLONG);
        long seed = reader.wholeNumber("data.seed", Long.MIN_VALUE, Long.MAX_VALUE);

        String outputTable = reader.text("prep.output_table", "a table path (local path or Hadoop URI)");
        String rejectsTable = reader.nonBlankText("prep.rejects_table", "a table path (local path or Hadoop URI)");
        String statsPath = reader.nonBlankText("prep.stats_path", "a file path (local path or Hadoop URI)");
        int partitions = reader.integer("prep.partitions");

        boolean preps = verb.needsPrepSection();
        if (preps) {
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
        boolean packed = neatPacking || (packing == null ? stage == Stage.PT : packing);
        PrepConfig config;
        try {
            // Every rule lives in PrepConfig alone and comes back one problem per key. Values reported bad above are
            // read as placeholders (NaN for numbers), so their keys' problems are dropped here: the rest are reported
            // with them, all in one go. A verb that does not prep still gets prep's values checked (a config is
            // checked whole), but not the inputs prep requires.
            config = PrepConfig.builder()
                    .datasets(preps ? datasets : List.of("?"))
                    .datasetDir(datasetDir)
                    .maxSamples(maxSamples)
                    .modelPath(preps ? modelPath : "?")
                    .stage(stage)
                    .template(template)
                    .enableThinking(enableThinking)
                    .cutoffLen(cutoffLen)
                    .trainOnPrompt(trainOnPrompt)
                    .maskHistory(maskHistory)
                    .overlong(OverlongPolicy.valueOf(overlong.toUpperCase(Locale.ROOT)))
                    .packing(packed)
                    .valSize(valSize == null ? Double.NaN : valSize)
                    .seed(seed)
                    .partitions(partitions)
                    .outputs(new PrepConfig.Outputs(
                            preps && outputTable != null ? outputTable : "?", rejectsTable, statsPath))
                    .build();
        } catch (PrepConfigException e) {
            e.problems().forEach(problem -> reader.fail(problem.key(), problem, problem.message()));
            return null;
        }
        return reader.hasProblems() || !preps ? null : config;
    }

    /** data.stage; a bad value is reported (once: read again, a reported key adds nothing) and sft stands in. */
    static Stage stage(ValueReader reader) {
        return Stage.valueOf(reader.choice("data.stage", STAGES).toUpperCase(Locale.ROOT));
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
}
