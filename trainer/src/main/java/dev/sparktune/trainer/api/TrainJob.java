package dev.sparktune.trainer.api;

import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.preprocess.encode.TokenizerFiles;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.driver.BarrierLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code train} verb's driver side: validate the model against the pinned table, plan the steps, and run the
 * whole training as one barrier stage of {@code world_size} ranks ({@link BarrierLauncher}).
 */
public final class TrainJob {
    private TrainJob() {
    }

    public static TrainResult run(SparkSession spark, TrainConfig config) {
        Path modelDir = localModelDir(config.modelPath());
        ModelConfig model = HfConfigReader.read(modelDir);
        PinnedSnapshot snapshot = PinnedSnapshot.pin(spark, config.table(), PackedTable.SPLIT_TRAIN);
        checkTokenizer(spark, snapshot, config.modelPath(), model);
        return BarrierLauncher.launch(spark, config, snapshot);
    }

    /**
     * Ranks load the base model from the executors' local file system (a path every node sees, e.g. a shared mount);
     * Hadoop URIs for the model directory are not supported yet.
     */
    static Path localModelDir(String modelPath) {
        String p = modelPath.startsWith("file:") ? java.net.URI.create(modelPath).getPath() : modelPath;
        if (p.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IllegalArgumentException("model_name_or_path = " + modelPath + ": training reads the base model"
                    + " from a local path on every executor; copy the model directory to a path all nodes see");
        }
        Path dir = Path.of(p);
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException("model_name_or_path = " + modelPath + " has no config.json: point it at"
                    + " an HF model directory (config.json, *.safetensors, tokenizer files)");
        }
        return dir;
    }

    private static void checkTokenizer(SparkSession spark, PinnedSnapshot snapshot, String modelPath,
                                       ModelConfig model) {
        TokenizerFiles files = TokenizerFiles.load(modelPath, spark.sparkContext().hadoopConfiguration());
        String expected = snapshot.properties().get(PackedTable.PROP_TOKENIZER_SHA256);
        if (!files.sha256().equals(expected)) {
            throw new IllegalArgumentException("the table " + snapshot.path() + " was prepared with another tokenizer: "
                    + PackedTable.PROP_TOKENIZER_SHA256 + " = " + expected + " but " + modelPath
                    + "/tokenizer.json has sha256 " + files.sha256() + ". Re-run prep with this model, or train the"
                    + " model the table was prepared for (" + snapshot.properties().get(PackedTable.PROP_TOKENIZER_PATH)
                    + ")");
        }
        long vocab = Long.parseLong(snapshot.properties().getOrDefault(PackedTable.PROP_VOCAB_SIZE, "0"));
        if (vocab > model.vocabSize()) {
            throw new IllegalArgumentException("the table's tokenizer has " + vocab + " tokens ("
                    + PackedTable.PROP_VOCAB_SIZE + ") but the model's embedding has only " + model.vocabSize()
                    + " rows (config.json vocab_size)");
        }
    }
}
