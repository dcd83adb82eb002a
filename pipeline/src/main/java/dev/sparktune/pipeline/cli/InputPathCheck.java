package dev.sparktune.pipeline.cli;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.HfParamNames;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelException;
import dev.sparktune.pipeline.config.ConfigException;
import dev.sparktune.pipeline.config.ConfigProblem;
import dev.sparktune.pipeline.config.RunSettings;
import dev.sparktune.pipeline.config.SparkSettings;
import dev.sparktune.pipeline.config.SubmitHadoopConf;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.api.PrepConfig;
import dev.sparktune.preprocess.source.DatasetCatalog;
import dev.sparktune.preprocess.source.DatasetException;
import dev.sparktune.preprocess.source.DatasetSpec;
import dev.sparktune.trainer.api.FinetuningType;
import dev.sparktune.trainer.api.PreferenceConfig;
import dev.sparktune.trainer.api.TrainConfig;
import dev.sparktune.trainer.api.TrainConfigException;
import dev.sparktune.trainer.eval.EvalConfig;
import dev.sparktune.trainer.export.ExportConfig;
import dev.sparktune.trainer.reference.RefLogProbsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checks, before Spark starts, that a verb's inputs exist: for prep the model's tokenizer.json and every dataset (as
 * the prep job resolves it: {@link DatasetCatalog}); for train the base model,
 * the packed table, the checkpoint to resume and, for freeze, that the freeze_* modules exist in the model's
 * config.json; for export and eval the model and adapter (and eval's table); for
 * run what no earlier stage creates; for inspect the table. Paths are Hadoop paths,
 * opened with the {@code spark.hadoop.*} settings of spark-submit and of the spark section, as Spark would.
 */
final class InputPathCheck {
    private final Configuration hadoop;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final List<String> found = new ArrayList<>();

    private InputPathCheck(SparkSettings spark) {
        hadoop = SubmitHadoopConf.of(spark.conf());
    }

    /**
     * @return one line per input found, for the dry run's report
     * @throws ConfigException naming every input that is missing or cannot be checked
     */
    static List<String> forPrep(PrepConfig prep, SparkSettings spark) {
        InputPathCheck check = new InputPathCheck(spark);
        check.model(prep.modelPath());
        check.datasets(prep);
        if (!check.problems.isEmpty()) {
            throw new ConfigException(check.problems);
        }
        return check.found;
    }

    /**
     * @return what was found, for the dry run's report
     * @throws ConfigException if the table (a directory with a {@code _delta_log}) or the model directory is missing
     */
    static String forInspect(String table, String modelPath, SparkSettings spark) {
        InputPathCheck check = new InputPathCheck(spark);
        check.deltaTable("TABLE", table, "give the output_table of a prep run");
        if (modelPath != null) {
            check.model("--model", modelPath);
        }
        if (!check.problems.isEmpty()) {
            throw new ConfigException(check.problems);
        }
        return String.join("; ", check.found);
    }

    /**
     * @return one line per input found, for the dry run's report
     * @throws ConfigException naming every input that is missing: the base model (config.json and tokenizer.json),
     *                         the adapter a LoRA run continues, the packed table, and the checkpoint named by
     *                         resume_from_checkpoint
     */
    static List<String> forTrain(TrainConfig train, SparkSettings spark) {
        InputPathCheck check = new InputPathCheck(spark);
        check.hfModel(train.modelPath(), "training");
        check.trainedSelection(train);
        check.adapter(train.finetuning().adapterNameOrPath());
        check.deltaTable("sparktune.train.table", train.table(), "run prep first (prep.output_table = this path)");
        if (!train.checkpointing().resumeFromCheckpoint().isEmpty()) {
            String dir = train.checkpointing().resumeFromCheckpoint();
            try {
                if (check.exists(new Path(dir, "COMMITTED"))) {
                    check.found.add("checkpoint: " + dir);
                } else {
                    check.problems.add(new ConfigProblem(
                            "sparktune.train.resume_from_checkpoint",
                            "'" + dir
                                    + "' is not a committed checkpoint (no COMMITTED marker); give an output_dir/checkpoint-N"
                                    + " directory, or \"\" for the newest one in output_dir"));
                }
            } catch (IOException | IllegalArgumentException e) {
                check.problems.add(new ConfigProblem(
                        "sparktune.train.resume_from_checkpoint", "cannot check '" + dir + "': " + e.getMessage()));
            }
        }
        if (!check.problems.isEmpty()) {
            throw new ConfigException(check.problems);
        }
        return check.found;
    }

    /**
     * @return one line per input found, for the dry run's report
     * @throws ConfigException if the model (config.json, tokenizer.json) or the adapter is missing
     */
    static List<String> forExport(ExportConfig export, SparkSettings spark) {
        InputPathCheck check = new InputPathCheck(spark);
        check.hfModel(export.modelPath(), "export");
        check.adapter(export.adapterPath());
        return check.result();
    }

    /**
     * @return one line per input found, for the dry run's report
     * @throws ConfigException if the model, the adapter or the table is missing
     */
    static List<String> forEval(EvalConfig eval, SparkSettings spark) {
        InputPathCheck check = new InputPathCheck(spark);
        check.hfModel(eval.modelPath(), "eval");
        check.adapter(eval.adapterPath());
        check.deltaTable("sparktune.eval.table", eval.table(), "run prep first (prep.output_table = this path)");
        return check.result();
    }

    /**
     * @return one line per input found, for the dry run's report
     * @throws ConfigException if the reference model, its adapter or the table is missing
     */
    static List<String> forRefLogProbs(RefLogProbsConfig ref, PreferenceConfig preference, SparkSettings spark) {
        InputPathCheck check = new InputPathCheck(spark);
        // the reference is train.ref_model when set, else the base model: a problem goes under the key that named it
        String key = preference.namesRefModel() ? "sparktune.train.ref_model" : "sparktune.model.model_name_or_path";
        check.hfModel(key, ref.modelPath(), "the reference pass");
        check.adapter("sparktune.train.ref_model_adapters", ref.adapterPath());
        check.deltaTable("sparktune.train.table", ref.table(), "run prep first (prep.output_table = this path)");
        return check.result();
    }

    /**
     * The inputs of a run that no earlier stage of it creates: the model unless init_model makes it, the datasets
     * unless synthetic_data writes them.
     *
     * @return one line per input found, for the dry run's report
     * @throws ConfigException naming every missing input
     */
    static List<String> forRun(RunSettings run, PrepConfig prep, TrainConfig train, SparkSettings spark) {
        InputPathCheck check = new InputPathCheck(spark);
        List<RunSettings.Stage> stages = run.stages();
        if (stages.contains(RunSettings.Stage.INIT_MODEL) && run.initModel() != null) {
            check.found.add("model: created by init_model (" + run.initModel().architecture() + ") unless "
                    + prep.modelPath() + " holds one");
            check.model("sparktune.init_model.tokenizer", run.initModel().tokenizer());
        } else if (stages.stream().anyMatch(s -> s.ordinal() >= RunSettings.Stage.PREP.ordinal())) {
            check.hfModel(prep.modelPath(), "training");
            if (stages.contains(RunSettings.Stage.TRAIN) && train != null) {
                check.trainedSelection(train);
                check.adapter(train.finetuning().adapterNameOrPath());
            }
        }
        if (stages.contains(RunSettings.Stage.SYNTHETIC_DATA)) {
            check.found.add("datasets: written by synthetic_data into "
                    + run.syntheticData().outputDir());
        } else if (stages.contains(RunSettings.Stage.PREP)) {
            check.datasets(prep);
        }
        return check.result();
    }

    private List<String> result() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return found;
    }

    /** A Hugging Face model directory: tokenizer.json (checked by {@link #model}) and config.json. */
    private void hfModel(String modelPath, String purpose) {
        hfModel("sparktune.model.model_name_or_path", modelPath, purpose);
    }

    private void hfModel(String key, String modelPath, String purpose) {
        model(key, modelPath);
        try {
            Path config = new Path(modelPath, "config.json");
            if (exists(new Path(modelPath)) && !exists(config)) {
                problems.add(
                        new ConfigProblem(
                                key,
                                "no config.json in '" + modelPath + "'; " + purpose
                                        + " needs a Hugging Face model directory (config.json, *.safetensors, tokenizer files)"));
            }
        } catch (IOException | IllegalArgumentException e) {
            problems.add(new ConfigProblem(key, "cannot check '" + modelPath + "': " + e.getMessage()));
        }
    }

    /**
     * What a freeze run trains must exist in the model: the freeze_* module names are checked against its
     * config.json here, not after Spark has started.
     */
    private void trainedSelection(TrainConfig train) {
        if (train.finetuning().type() != FinetuningType.FREEZE) {
            return;
        }
        Path config = new Path(train.modelPath(), "config.json");
        try {
            if (!exists(config)) {
                return; // reported by hfModel
            }
            ModelConfig model;
            try (InputStream in = config.getFileSystem(hadoop).open(config)) {
                model = HfConfigReader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), config.toString());
            }
            trainedSelection(train, model, config);
        } catch (IOException | ModelException | IllegalArgumentException e) {
            problems.add(new ConfigProblem(
                    "sparktune.model.model_name_or_path", "cannot read '" + config + "': " + e.getMessage()));
        }
    }

    /** The freeze selection on {@code model}: modules it names that the model does not have go under their key. */
    private void trainedSelection(TrainConfig train, ModelConfig model, Path config) {
        try {
            found.add("freeze: "
                    + train.finetuning().freeze().trainableNames(model).size() + " of "
                    + HfParamNames.layout(model).entries().size() + " tensors of " + config + " train");
        } catch (ModelException e) {
            problems.add(new ConfigProblem(
                    "sparktune.train."
                            + TrainConfigException.keyOf(
                                    e.getMessage(),
                                    "freeze_trainable_layers",
                                    "freeze_trainable_modules",
                                    "freeze_extra_modules"),
                    String.valueOf(e.getMessage())));
        }
    }

    private void adapter(String adapterPath) {
        adapter("sparktune.model.adapter_name_or_path", adapterPath);
    }

    private void adapter(String key, String adapterPath) {
        if (adapterPath.isEmpty()) {
            return;
        }
        try {
            String missing = !exists(new Path(adapterPath, "adapter_config.json"))
                    ? "adapter_config.json"
                    : !exists(new Path(adapterPath, "adapter_model.safetensors")) ? "adapter_model.safetensors" : null;
            if (missing == null) {
                found.add("adapter: " + adapterPath);
            } else {
                problems.add(new ConfigProblem(
                        key,
                        "no " + missing + " in '" + adapterPath + "'; give a PEFT "
                                + "LoRA adapter directory (the output_dir of a LoRA training)"));
            }
        } catch (IOException | IllegalArgumentException e) {
            problems.add(new ConfigProblem(key, "cannot check '" + adapterPath + "': " + e.getMessage()));
        }
    }

    private void deltaTable(String key, String table, String hint) {
        try {
            Path log = new Path(table, "_delta_log");
            if (exists(log)) {
                found.add("table: " + table);
            } else {
                problems.add(new ConfigProblem(key, "'" + table + "' is not a Delta table (no " + log + "); " + hint));
            }
        } catch (IOException | IllegalArgumentException e) {
            problems.add(new ConfigProblem(key, "cannot check '" + table + "': " + e.getMessage()));
        }
    }

    private void model(String modelPath) {
        model("sparktune.model.model_name_or_path", modelPath);
    }

    private void model(String key, String modelPath) {
        try {
            Path dir = new Path(modelPath);
            if (!exists(dir)) {
                problems.add(new ConfigProblem(
                        key,
                        "'" + modelPath + "' does not exist; give the model directory "
                                + "(local path or Hadoop URI): models are not downloaded from a hub"));
            } else if (!exists(new Path(dir, "tokenizer.json"))) {
                problems.add(
                        new ConfigProblem(
                                key,
                                "no tokenizer.json in '" + modelPath + "'; the model directory "
                                        + "must hold the Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json)"));
            } else {
                found.add("model: " + new Path(dir, "tokenizer.json"));
            }
        } catch (IOException | IllegalArgumentException e) {
            problems.add(new ConfigProblem(key, "cannot check '" + modelPath + "': " + e.getMessage()));
        }
    }

    /**
     * Resolves the datasets with prep's own catalog ({@link DatasetCatalog}: a dataset_info.json key, else a path,
     * absolute or under dataset_dir), so the preflight finds exactly what the job will read. Each name alone first,
     * so that every bad one is reported, then all together (a dataset listed twice).
     */
    private void datasets(PrepConfig prep) {
        String key = "sparktune.data.dataset";
        boolean allResolved = true;
        for (String name : prep.datasets()) {
            try {
                DatasetSpec spec = DatasetCatalog.resolve(List.of(name), prep.datasetDir(), prep.stage(), hadoop)
                        .get(0);
                List<String> files = spec.files();
                found.add("dataset " + name + ": " + files.get(0)
                        + (files.size() > 1 ? " and " + (files.size() - 1) + " more file(s)" : ""));
            } catch (DatasetException e) {
                if (DatasetCatalog.DATASET_INFO.equals(e.dataset())) {
                    // the catalog itself is unreadable: one problem, whichever dataset found it
                    problems.add(new ConfigProblem("sparktune.data.dataset_dir", e.getMessage()));
                    return;
                }
                problems.add(new ConfigProblem(key, e.getMessage()));
                allResolved = false;
            } catch (PreprocessException | IllegalArgumentException e) {
                problems.add(new ConfigProblem(key, e.getMessage()));
                allResolved = false;
            }
        }
        if (allResolved && prep.datasets().size() > 1) {
            try {
                DatasetCatalog.resolve(prep.datasets(), prep.datasetDir(), prep.stage(), hadoop);
            } catch (PreprocessException | IllegalArgumentException e) {
                problems.add(new ConfigProblem(key, e.getMessage()));
            }
        }
    }

    private boolean exists(Path path) throws IOException {
        FileSystem fs = path.getFileSystem(hadoop);
        return fs.exists(path);
    }
}
