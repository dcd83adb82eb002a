package dev.sparktune.pipeline.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.api.PrepConfigHash;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.eval.EvalConfig;
import dev.sparktune.trainer.export.ExportConfig;
import dev.sparktune.trainer.reference.RefLogProbsConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A loaded, validated configuration: the typed section each component gets, the warnings, and the resolved tree for
 * display. Built by {@link #load(ConfigSources, Verb)}, which validates everything before any Spark work starts and
 * reports every problem at once.
 */
public final class SparkTuneConfig {
    private static final String OUTPUT_TABLE = KeyCatalog.ROOT + ".prep.output_table";

    private final Config resolved;
    private final SparkSettings spark;
    private final PrepConfig prep;
    private final TrainConfig train;
    private final ExportConfig export;
    private final EvalConfig eval;
    private final RefLogProbsConfig refLogProbs;
    private final PreferenceConfig preference;
    private final RunSettings run;
    private final List<ConfigProblem> warnings;

    private SparkTuneConfig(
            Config resolved,
            SparkSettings spark,
            PrepConfig prep,
            TrainConfig train,
            ExportConfig export,
            EvalConfig eval,
            RefLogProbsConfig refLogProbs,
            PreferenceConfig preference,
            RunSettings run,
            List<ConfigProblem> warnings) {
        this.resolved = resolved;
        this.spark = spark;
        this.prep = prep;
        this.train = train;
        this.export = export;
        this.eval = eval;
        this.refLogProbs = refLogProbs;
        this.preference = preference;
        this.run = run;
        this.warnings = List.copyOf(warnings);
    }

    /** reference.conf's tree: every key under "sparktune" with its default (unresolved: some derive from others). */
    private static Config reference() {
        return ConfigFactory.parseResources(
                        SparkTuneConfig.class.getClassLoader(),
                        "reference.conf",
                        ConfigParseOptions.defaults().setAllowMissing(false))
                .withOnlyPath(KeyCatalog.ROOT);
    }

    /**
     * The default of {@code key} (as --set names it: {@code init_model.hidden_size}) in reference.conf, for the
     * command-line options that set what a config key sets, so the two cannot drift apart.
     */
    public static String referenceDefault(String key) {
        return String.valueOf(reference().getValue(KeyCatalog.ROOT + "." + key).unwrapped());
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
        Config reference = reference();
        KeyCatalog catalog = new KeyCatalog(reference.root());

        List<ConfigProblem> keyProblems = new ArrayList<>();
        Config file = sources.file()
                .map(f -> readFile(f, problems, keyProblems, warnings))
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
        PrepConfig prep = PrepSection.read(reader, verb, modelPath);
        String adapterPath = reader.text("model.adapter_name_or_path", "a PEFT adapter directory, or \"\"");
        PreferenceConfig preference = TrainSection.preference(reader, modelPath);
        TrainConfig train = TrainSection.read(reader, verb, modelPath, adapterPath, preference);
        ExportConfig export = ExportSection.read(
                reader,
                verb,
                verb.needsExportSection()
                        && (verb != Verb.RUN || RunSection.listsStage(reader, RunSettings.Stage.EXPORT)),
                modelPath,
                adapterPath);
        // eval shares train.loss_chunk_tokens; TrainSection has reported a bad value already
        ConfigValue chunk = reader.raw("train.loss_chunk_tokens");
        long lossChunk = train != null
                ? train.activations().lossChunkTokens()
                : chunk != null && chunk.unwrapped() instanceof Number n && n.intValue() >= 1 ? n.intValue() : 1024;
        EvalConfig eval = EvalSection.read(
                reader,
                verb.needsEvalSection() && (verb != Verb.RUN || RunSection.listsStage(reader, RunSettings.Stage.EVAL)),
                modelPath,
                adapterPath,
                lossChunk,
                preference);
        // a run training or evaluating a table of pairs against a reference computes the reference log-probs first
        boolean referenceForPairs = verb == Verb.RUN
                // data.stage itself, not prep's config: that is null when prep reported a problem, and the
                // reference keys' own problems belong in the same pass
                && !reader.reported("data.stage")
                && PrepSection.stage(reader) == Stage.DPO
                && (RunSection.listsStage(reader, RunSettings.Stage.TRAIN)
                        || RunSection.listsStage(reader, RunSettings.Stage.EVAL))
                && needsReference(preference);
        RefLogProbsConfig refLogProbs = RefLogProbsSection.read(
                reader,
                verb == Verb.REF_LOGPROBS
                        || referenceForPairs
                        || verb == Verb.RUN && RunSection.listsStage(reader, RunSettings.Stage.REF_LOGPROBS),
                verb == Verb.RUN && RunSection.listsStage(reader, RunSettings.Stage.TRAIN),
                modelPath,
                preference);
        RunSettings run = RunSection.read(reader, verb, train == null ? null : train.outputDir(), referenceForPairs);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new SparkTuneConfig(
                resolvedTree.withOnlyPath(KeyCatalog.ROOT),
                spark,
                prep,
                train,
                export,
                eval,
                refLogProbs,
                preference,
                run,
                warnings);
    }

    /**
     * Whether pref_loss compares against reference log-probs from the reference pass (false when it is bad: reported
     * already; false with ref_logprobs = adapters_off, where the model scores its reference with the adapters off).
     */
    private static boolean needsReference(PreferenceConfig preference) {
        try {
            return preference.loss().type().needsReference() && !preference.adaptersOff();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * reference.conf derives rejects_table and stats_path from output_table by substitution; an output_table that is
     * not text would fail resolution with a message about concatenation rather than about the key.
     */
    private static boolean isOutputTableText(Config user, List<ConfigProblem> problems) {
        ConfigValue value;
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
        if (value instanceof ConfigObject || value instanceof ConfigList) {
            problems.add(new ConfigProblem(
                    OUTPUT_TABLE,
                    "invalid value " + ValueReader.render(value) + "; allowed: a table path (local path or Hadoop URI)"
                            + KeyCatalog.origin(value)));
            return false;
        }
        return true;
    }

    /**
     * @param problems    the file cannot be read or parsed
     * @param keyProblems the file parsed, but holds keys that are wrong (LLaMA-Factory arguments)
     */
    private static Config readFile(
            String location,
            List<ConfigProblem> problems,
            List<ConfigProblem> keyProblems,
            List<ConfigProblem> warnings) {
        Path file;
        if (RemoteConfigFile.isRemote(location)) {
            try {
                file = RemoteConfigFile.fetch(location);
            } catch (IOException | IllegalArgumentException e) {
                problems.add(new ConfigProblem(
                        location,
                        "cannot read the config file: " + e.getMessage()
                                + " (it is read with the spark.hadoop.* settings given to spark-submit, e.g. --conf "
                                + "spark.hadoop.fs.s3a.endpoint=...)"));
                return ConfigFactory.empty();
            }
        } else {
            file = location.regionMatches(true, 0, "file:", 0, 5) ? Path.of(URI.create(location)) : Path.of(location);
        }
        String name =
                file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            problems.add(new ConfigProblem(location, "config file not found"));
            return ConfigFactory.empty();
        }
        if (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json")) {
            return LlamaFactoryArgs.read(file, problems, keyProblems, warnings);
        }
        if (!name.endsWith(".conf")) {
            problems.add(new ConfigProblem(
                    location,
                    "unsupported config file type; allowed: .conf (SparkTune "
                            + "HOCON), .yaml, .yml or .json (LLaMA-Factory arguments)"));
            return ConfigFactory.empty();
        }
        try {
            ConfigParseOptions options =
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
            return ConfigFactory.parseFile(
                    file.toFile(), file.toString().equals(location) ? options : options.setOriginDescription(location));
        } catch (com.typesafe.config.ConfigException e) {
            problems.add(new ConfigProblem(location, "cannot parse: " + e.getMessage()));
            return ConfigFactory.empty();
        }
    }

    private static SparkSettings readSpark(ValueReader reader) {
        String master = reader.nonBlankText(
                "spark.master", "a Spark master URL (local[*], yarn, spark://host:7077, " + "k8s://...)");
        String appName = reader.nonBlankText("spark.app_name", "a non-blank name");
        Map<String, String> conf = reader.flatSettings("spark.conf");
        return master.isBlank() || appName.isBlank() ? null : new SparkSettings(master, appName, conf);
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
        return loadedFor("prep", prep);
    }

    /**
     * The train job's settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#TRAIN}
     */
    public TrainConfig train() {
        return loadedFor("train", train);
    }

    /**
     * The export settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#EXPORT} or {@link Verb#RUN}
     */
    public ExportConfig export() {
        return loadedFor("export", export);
    }

    /**
     * The eval settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#EVAL} or {@link Verb#RUN}
     */
    public EvalConfig eval() {
        return loadedFor("eval", eval);
    }

    /**
     * The reference pass's settings.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#REF_LOGPROBS}
     */
    public RefLogProbsConfig refLogProbs() {
        return loadedFor("ref-logprobs", refLogProbs);
    }

    /** The preference keys (pref_loss and its options, the reference), read for every verb. */
    public PreferenceConfig preference() {
        return preference;
    }

    /**
     * The run verb's plan.
     *
     * @throws IllegalStateException if this configuration was not loaded for {@link Verb#RUN}
     */
    public RunSettings run() {
        return loadedFor("run", run);
    }

    /**
     * A section that only the verbs needing it read: {@code section}, or a failure naming {@code verb} when this
     * configuration was loaded for a verb that left it null.
     */
    private static <T> T loadedFor(String verb, T section) {
        if (section == null) {
            throw new IllegalStateException("configuration was not loaded for the " + verb + " verb");
        }
        return section;
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
     * The resolved {@code sparktune} tree as HOCON, defaults included, for {@code --dry-run}; secrets redacted (see
     * {@link ResolvedTree#render}).
     */
    public String render() {
        return ResolvedTree.render(resolved);
    }

    /** The resolved section or key {@code name} (e.g. {@code train}, {@code train.ref_model}) as sorted HOCON. */
    public String section(String name) {
        return ResolvedTree.section(resolved, name);
    }
}
