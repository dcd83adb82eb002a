package dev.sparktune.trainer.data;

import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.preprocess.encode.TokenizerFiles;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.TrainerException;
import org.apache.hadoop.conf.Configuration;

/** A model may read a packed table only if the table was tokenized by the model's own tokenizer. */
public final class TableTokenizerCheck {
    private TableTokenizerCheck() {}

    /**
     * @return the model's tokenizer files
     * @throws TrainerException naming both tokenizers, or the vocabulary sizes, when they differ
     */
    public static TokenizerFiles check(
            PinnedSnapshot snapshot, String modelPath, ModelConfig model, Configuration conf) {
        TokenizerFiles files = TokenizerFiles.load(modelPath, conf);
        String expected = snapshot.properties().get(PackedTable.PROP_TOKENIZER_SHA256);
        if (!files.sha256().equals(expected)) {
            throw new TrainerException("the table " + snapshot.path() + " was prepared with another tokenizer: "
                    + PackedTable.PROP_TOKENIZER_SHA256 + " = " + expected + " but " + modelPath
                    + "/tokenizer.json has sha256 " + files.sha256() + ". Re-run prep with this model, or use the"
                    + " model the table was prepared for ("
                    + snapshot.properties().get(PackedTable.PROP_TOKENIZER_PATH)
                    + ")");
        }
        long vocab = Long.parseLong(snapshot.properties().getOrDefault(PackedTable.PROP_VOCAB_SIZE, "0"));
        if (vocab > model.vocabSize()) {
            throw new TrainerException("the table's tokenizer has " + vocab + " tokens ("
                    + PackedTable.PROP_VOCAB_SIZE + ") but the model's embedding has only " + model.vocabSize()
                    + " rows (config.json vocab_size)");
        }
        return files;
    }
}
