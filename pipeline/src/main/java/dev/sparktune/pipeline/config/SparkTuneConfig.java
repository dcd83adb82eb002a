package dev.sparktune.pipeline.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import dev.sparktune.preprocess.api.OverlongPolicy;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.PrepConfigHash;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.template.ChatTemplates;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.reference.RefLogProbsConfig;
import dev.sparktune.trainer.eval.EvalConfig;
import dev.sparktune.trainer.export.ExportConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A loaded, validated configuration: the typed section each component gets, the warnings, and the resolved tree for
 * display. Built by {@link #load(ConfigSources, Verb)}, which validates everything before any Spark work starts and
 * reports every problem at once.
 */
public final class SparkTuneConfig {
    private static final List<String> STAGES = List.of("sft", "pt", "dpo");
    private static final List<String> OVERLONG = List.of("truncate", "reject");
    private static final String OUTPUT_TABLE = KeyCatalog.ROOT + ".prep.output_table";
    private static final Pattern SECRET_KEY =
            Pattern.compile("(?i).*(secret|password|token|credential|access\\.key).*");

    private final Config resolved;
    private final SparkSettings spark;
    private final PrepConfig prep;
    private final TrainConfig train;
    private final ExportConfig export;
    private final EvalConfig eval;
    private final RefLogProbsConfig refLogProbs;
    private final RunSettings run;
    private final List<ConfigProblem> warnings;

    private SparkTuneConfig(Config resolved, SparkSettings spark, PrepConfig prep, TrainConfig train,
                            ExportConfig export, EvalConfig eval, RefLogProbsConfig refLogProbs, RunSettings run,
                            List<ConfigProblem> warnings) {
        this.resolved = resolved;
        this.spark = spark;
        this.prep = prep;
        this.train = train;
        this.export = export;
        this.eval = eval;
        this.refLogProbs = refLogProbs;
        this.run = run;
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Loads {@code sources} over reference.conf and validates it for {@code verb}: unknown keys (with the closest
     * known key), values of the wrong type or out of range (with what is allowed), clashing values, and the keys
     * {@code verb} requires.
     *
     * @throws ConfigException listing every problem found
     */
    public static SparkTuneConfig load(ConfigSources sources, Verb verb) {
        List<ConfigProblem> problems = new ArrayList<>();
        List<ConfigProblem> warnings = new ArrayList<>();
        Config reference = ConfigFactory.parseResources(SparkTuneConfig.class.getClassLoader(), "reference.conf",
                ConfigParseOptions.defaults().setAllowMissing(false)).withOnlyPath(KeyCatalog.ROOT);
        KeyCatalog catalog = new KeyCatalog(reference.root());

        List<ConfigProblem> keyProblems = new ArrayList<>();
        Config file = sources.file().map(f -> readFile(f, problems, keyProblems, warnings))
                .orElse(ConfigFactory.empty());
        Config overrides = Overrides.parse(sources.overrides(), problems);
        if (!problems.isEmpty()) {
            // a file or override that cannot be read: checking the rest would only add noise (required keys unset)
            throw new ConfigException(problems);
        }
        Config user = overrides.withFallback(file);
        problems.addAll(keyProblems);
        List<ConfigProblem> misshapen = new ArrayList<>();
        catalog.check(user.root(), problems, misshapen, warnings);
        if (!misshapen.isEmpty()) {
            problems.addAll(misshapen);
            throw new ConfigException(problems);
        }

        if (!isOutputTableText(user, problems)) {
            throw new ConfigException(problems);
        }
        Config resolvedTree;
        try {
            resolvedTree = user.withFallback(reference).resolve(ConfigResolveOptions.defaults());
        } catch (com.typesafe.config.ConfigException e) {
            problems.add(new ConfigProblem(KeyCatalog.ROOT, "cannot resolve a substitution: " + e.getMessage()));
            throw new ConfigException(problems);
        }

        ValueReader reader = new ValueReader(resolvedTree, problems);
        SparkSettings spark = readSpark(reader);
        String modelPath = reader.text("model.model_name_or_path", "a model directory (local path or Hadoop URI)");
        PrepConfig prep = readPrep(reader, verb, modelPath);
        String adapterPath = reader.text("model.adapter_name_or_path", "a PEFT adapter directory, or \"\"");
        PreferenceConfig preference = TrainSection.preference(reader);
        TrainConfig train = TrainSection.read(reader, verb, modelPath, adapterPath, preference);
        ExportConfig export = ExportSection.read(reader, verb, verb.needsExportSection()
                && (verb != Verb.RUN || RunSection.listsStage(reader, RunSettings.Stage.EXPORT)), modelPath, adapterPath);
        // eval shares train.loss_chunk_tokens; TrainSection has reported a bad value already
        com.typesafe.config.ConfigValue chunk = reader.raw("train.loss_chunk_tokens");
        long lossChunk = train != null ? train.lossChunkRows()
                : chunk != null && chunk.unwrapped() instanceof Number n && n.intValue() >= 1 ? n.intValue() : 1024;
        EvalConfig eval = EvalSection.read(reader, verb.needsEvalSection()
                && (verb != Verb.RUN || RunSection.listsStage(reader, RunSettings.Stage.EVAL)), modelPath, adapterPath,
                lossChunk, preference);
        // a run training or evaluating a table of pairs against a reference computes the reference log-probs first
        boolean referenceForPairs = verb == Verb.RUN && prep != null && prep.stage() == Stage.DPO
                && (RunSection.listsStage(reader, RunSettings.Stage.TRAIN)
                || RunSection.listsStage(reader, RunSettings.Stage.EVAL)) && needsReference(preference);
        RefLogProbsConfig refLogProbs = RefLogProbsSection.read(reader, verb == Verb.REF_LOGPROBS
                || referenceForPairs || verb == Verb.RUN && RunSection.listsStage(reader,
                RunSettings.Stage.REF_LOGPROBS), modelPath, preference);
        RunSettings run = RunSection.read(reader, verb, train == null ? null : train.outputDir(), referenceForPairs);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new SparkTuneConfig(resolvedTree.withOnlyPath(KeyCatalog.ROOT), spark, prep, train, export, eval,
                refLogProbs, run, warnings);
    }

    /** Whether pref_loss compares against a reference (false when it is bad: reported already). */
    private static boolean needsReference(PreferenceConfig preference) {
        try {
            return preference.loss().type().needsReference();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * reference.conf derives rejects_table and stats_path from output_table by substitution; an output_table that is
     * not text would fail resolution with a message about concatenation rather than about the key.
     */
    private static boolean isOutputTableText(Config user, List<ConfigProblem> problems) {
        com.typesafe.config.ConfigValue value;
        try {
            if (!user.hasPathOrNull(OUTPUT_TABLE)) {
                return true;
            }
            value = user.getIsNull(OUTPUT_TABLE) ? null : user.getValue(OUTPUT_TABLE);
        } catch (com.typesafe.config.ConfigException e) {
            return true; // set by a substitution: resolution reports what is wrong with it
        }
        if (value == null) {
            problems.add(new ConfigProblem(OUTPUT_TABLE, "must not be null; allowed: a table path"));
            return false;
        }
        if (value instanceof ConfigObject || value instanceof com.typesafe.config.ConfigList) {
            problems.add(new ConfigProblem(OUTPUT_TABLE, "invalid value " + ValueReader.render(value)
                    + "; allowed: a table path (local path or Hadoop URI)" + KeyCatalog.origin(value)));
            return false;
        }
        return true;
    }

    /**
     * @param problems    the file cannot be read or parsed
     * @param keyProblems the file parsed, but holds keys that are wrong (LLaMA-Factory arguments)
     */
    private static Config readFile(String location, List<ConfigProblem> problems, List<ConfigProblem> keyProblems,
                                   List<ConfigProblem> warnings) {
        Path file;
        if (RemoteConfigFile.isRemote(location)) {
            try {
                file = RemoteConfigFile.fetch(location);
            } catch (IOException | IllegalArgumentException e) {
                problems.add(new ConfigProblem(location, "cannot read the config file: " + e.getMessage()
                        + " (it is read with the spark.hadoop.* settings given to spark-submit, e.g. --conf "
                        + "spark.hadoop.fs.s3a.endpoint=...)"));
                return ConfigFactory.empty();
            }
        } else {
            file = location.regionMatches(true, 0, "file:", 0, 5) ? Path.of(java.net.URI.create(location))
                    : Path.of(location);
        }
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            problems.add(new ConfigProblem(location, "config file not found"));
            return ConfigFactory.empty();
        }
        if (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json")) {
            return LlamaFactoryArgs.read(file, problems, keyProblems, warnings);
        }
        if (!name.endsWith(".conf")) {
            problems.add(new ConfigProblem(location, "unsupported config file type; allowed: .conf (SparkTune "
                    + "HOCON), .yaml, .yml or .json (LLaMA-Factory arguments)"));
            return ConfigFactory.empty();
        }
        try {
            ConfigParseOptions options = ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setAllowMissing(false);
            return ConfigFactory.parseFile(file.toFile(), file.toString().equals(location) ? options
                    : options.setOriginDescription(location));
        } catch (com.typesafe.config.ConfigException e) {
            problems.add(new ConfigProblem(location, "cannot parse: " + e.getMessage()));
            return ConfigFactory.empty();
        }
    }

    private static SparkSettings readSpark(ValueReader reader) {
        String master = reader.nonBlankText("spark.master", "a Spark master URL (local[*], yarn, spark://host:7077, "
                + "k8s://...)");
        String appName = reader.nonBlankText("spark.app_name", "a non-blank name");
        Map<String, String> conf = reader.flatSettings("spark.conf");
        return master.isBlank() || appName.isBlank() ? null : new SparkSettings(master, appName, conf);
    }

    private static PrepConfig readPrep(ValueReader reader, Verb verb, String modelPath) {
        String template = reader.choice("model.template", ChatTemplates.names());
        boolean enableThinking = reader.bool("model.enable_thinking");

        List<String> datasets = reader.names("data.dataset",
                "a list of dataset names or paths, or one comma-separated string");
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
            reader.fail("data.mask_history", "cannot be true together with sparktune.data.train_on_prompt = true "
                    + "(history turns are either masked or trained on); set one of them to false");
        }
        if (verb.needsPrepSection()) {
            if ("".equals(modelPath)) { // null: a bad value, reported already
                reader.fail("model.model_name_or_path", "required by prep: the model directory holding "
                        + "tokenizer.json (local path or Hadoop URI)");
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
            return new PrepConfig(datasets, datasetDir, modelPath, template, stage, (int) cutoffLen, packed,
                    trainOnPrompt, maskHistory, enableThinking,
                    OverlongPolicy.valueOf(overlong.toUpperCase(Locale.ROOT)), valSize, maxSamples, seed,
                    (int) partitions, outputTable, rejectsTable, statsPath);
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
        if (value.valueType() == com.typesafe.config.ConfigValueType.STRING
                && ((String) value.unwrapped()).strip().equalsIgnoreCase("auto")) {
            return null;
        }
        Boolean parsed = ValueReader.asBoolean(value);
        if (parsed == null) {
            reader.fail("data.packing", value, "auto, true or false");
        }
        return parsed;
    }

    private static double valSize(ValueReader reader) {
        String allowed = "a fraction in [0, 1), a whole document count >= 1, or 0 for none";
        Double valSize = reader.number("data.val_size", allowed);
        if (valSize == null) {
            return 0;
        }
        if (valSize < 0 || valSize.isNaN() || valSize.isInfinite() || (valSize >= 1 && valSize != Math.rint(valSize))) {
            reader.fail("data.val_size", reader.raw("data.val_size"), allowed);
            return 0;
        }
        return valSize;
    }

    /** {@code data.cutoff_len}: the tokens per row prep writes (the training memory plan's row length). */
    public int cutoffLen() {
        return resolved.getInt(KeyCatalog.ROOT + ".data.cutoff_len");
    }

    /** The {@code spark} section. */
    public SparkSettings spark() {
        return spark;
    }

    /**
     * The prep job's settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#PREP}
     */
    public PrepConfig prep() {
        if (prep == null) {
            throw new IllegalStateException("configuration was not loaded for the prep verb");
        }
        return prep;
    }

    /**
     * The train job's settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#TRAIN}
     */
    public TrainConfig train() {
        if (train == null) {
            throw new IllegalStateException("configuration was not loaded for the train verb");
        }
        return train;
    }

    /**
     * The export settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#EXPORT} or {@link Verb#RUN}
     */
    public ExportConfig export() {
        if (export == null) {
            throw new IllegalStateException("configuration was not loaded for the export verb");
        }
        return export;
    }

    /**
     * The eval settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#EVAL} or {@link Verb#RUN}
     */
    public EvalConfig eval() {
        if (eval == null) {
            throw new IllegalStateException("configuration was not loaded for the eval verb");
        }
        return eval;
    }

    /**
     * The reference pass's settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#REF_LOGPROBS}
     */
    public RefLogProbsConfig refLogProbs() {
        if (refLogProbs == null) {
            throw new IllegalStateException("configuration was not loaded for the ref-logprobs verb");
        }
        return refLogProbs;
    }

    /**
     * The run verb's plan.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#RUN}
     */
    public RunSettings run() {
        if (run == null) {
            throw new IllegalStateException("configuration was not loaded for the run verb");
        }
        return run;
    }

    /** sha256 of the prep settings that shape the table's rows, for its properties; see {@link PrepConfigHash}. */
    public String prepConfigHash() {
        return PrepConfigHash.sha256(prep());
    }

    /** Keys set that the loaded verb ignores (from a LLaMA-Factory file), one entry per group. */
    public List<ConfigProblem> warnings() {
        return warnings;
    }

    /**
     * The resolved {@code sparktune} tree as HOCON, defaults included, for {@code --dry-run}. Values of Spark settings
     * whose name suggests a secret (secret, password, token, credential, access.key) are shown as {@code <redacted>}.
     */
    public String render() {
        Config shown = resolved;
        String confPath = KeyCatalog.ROOT + ".spark.conf";
        if (resolved.hasPath(confPath)) {
            for (Map.Entry<String, com.typesafe.config.ConfigValue> entry
                    : resolved.getConfig(confPath).entrySet()) {
                String name = String.join(".", ConfigUtil.splitPath(entry.getKey()));
                if (SECRET_KEY.matcher(name).matches()) {
                    shown = shown.withValue(confPath + "." + entry.getKey(),
                            ConfigValueFactory.fromAnyRef("<redacted>"));
                }
            }
        }
        StringBuilder out = new StringBuilder();
        renderObject(shown.root(), "", "", out);
        return out.toString();
    }

    /** The resolved section {@code name} (e.g. {@code train}) as sorted HOCON: what the run verb fingerprints. */
    public String section(String name) {
        StringBuilder out = new StringBuilder();
        String path = KeyCatalog.ROOT + "." + name;
        if (resolved.hasPath(path)) {
            renderObject(resolved.getConfig(path).root(), "", "", out);
        }
        return out.toString();
    }

    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    /** HOCON, one key per line, keys sorted, values in JSON form; Spark settings as flat quoted keys. */
    private static void renderObject(ConfigObject object, String path, String indent, StringBuilder out) {
        for (String key : new java.util.TreeSet<>(object.keySet())) {
            com.typesafe.config.ConfigValue value = object.get(key);
            String childPath = path.isEmpty() ? key : path + "." + key;
            String shownKey = BARE_KEY.matcher(key).matches() ? key : ConfigUtil.quoteString(key);
            if (value instanceof ConfigObject child && childPath.equals(KeyCatalog.ROOT + ".spark.conf")) {
                out.append(indent).append(shownKey).append(" {\n");
                Map<String, String> flat = new java.util.TreeMap<>();
                child.toConfig().entrySet().forEach(e -> flat.put(
                        String.join(".", ConfigUtil.splitPath(e.getKey())),
                        e.getValue().render(ConfigRenderOptions.concise())));
                flat.forEach((name, rendered) -> out.append(indent).append("  ").append(ConfigUtil.quoteString(name))
                        .append(" = ").append(rendered).append('\n'));
                out.append(indent).append("}\n");
            } else if (value instanceof ConfigObject child) {
                out.append(indent).append(shownKey).append(" {\n");
                renderObject(child, childPath, indent + "  ", out);
                out.append(indent).append("}\n");
            } else {
                out.append(indent).append(shownKey).append(" = ")
                        .append(value.render(ConfigRenderOptions.concise())).append('\n');
            }
        }
    }
}
