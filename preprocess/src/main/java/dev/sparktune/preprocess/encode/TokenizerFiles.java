package dev.sparktune.preprocess.encode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.preprocess.PreprocessException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A model's HF tokenizer files, read once on the driver from any Hadoop path and shipped to executors inside the
 * encoder closure, so executors never need access to the model directory.
 *
 * @param tokenizerJson        bytes of {@code tokenizer.json}
 * @param tokenizerConfigJson  text of {@code tokenizer_config.json} (chat template, special token names)
 * @param sha256               hex SHA-256 of {@code tokenizer.json}: identifies the tokenizer in table properties
 */
public record TokenizerFiles(byte[] tokenizerJson, String tokenizerConfigJson, String sha256) implements Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public TokenizerFiles {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        Objects.requireNonNull(tokenizerConfigJson, "tokenizerConfigJson");
        Objects.requireNonNull(sha256, "sha256");
    }

    /** Reads {@code tokenizer.json} and {@code tokenizer_config.json} from a model directory (local or Hadoop URI). */
    public static TokenizerFiles load(String modelDir, Configuration hadoopConf) {
        Path dir = new Path(modelDir);
        byte[] tokenizer = read(dir, "tokenizer.json", hadoopConf);
        byte[] config = read(dir, "tokenizer_config.json", hadoopConf);
        return new TokenizerFiles(tokenizer, new String(config, StandardCharsets.UTF_8), sha256Hex(tokenizer));
    }

    private static byte[] read(Path dir, String name, Configuration hadoopConf) {
        Path file = new Path(dir, name);
        try {
            FileSystem fs = file.getFileSystem(hadoopConf);
            if (!fs.exists(file)) {
                throw new PreprocessException("model.model_name_or_path: " + file + " does not exist; the model "
                        + "directory must hold the HF tokenizer files tokenizer.json and tokenizer_config.json");
            }
            try (InputStream in = fs.open(file)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Those of {@code tokens} that are not an added token of tokenizer.json (so would be split as text). */
    public List<String> missingAddedTokens(List<String> tokens) {
        Set<String> added = new HashSet<>();
        try {
            for (JsonNode token : JSON.readTree(tokenizerJson).path("added_tokens")) {
                added.add(token.path("content").asText());
            }
        } catch (IOException e) {
            throw new PreprocessException("tokenizer.json is not valid JSON: " + e.getMessage(), e);
        }
        return tokens.stream().filter(t -> !added.contains(t)).toList();
    }

    /** The tokenizer's special token ids and vocabulary size, as recorded in the table properties. */
    public SpecialTokens specialTokens() {
        return specialTokens(Optional.empty());
    }

    /**
     * {@link #specialTokens()} with another token as the eos, as LLaMA-Factory makes it for a named template
     * ({@code LlamaFactoryTemplate.eosToken}); its id is -1 when the tokenizer lacks it.
     */
    public SpecialTokens specialTokens(Optional<String> eosToken) {
        try {
            JsonNode config = JSON.readTree(tokenizerConfigJson);
            JsonNode tokenizer = JSON.readTree(tokenizerJson);
            return SpecialTokens.from(config, tokenizer, eosToken);
        } catch (IOException e) {
            throw new PreprocessException("tokenizer files are not valid JSON: " + e.getMessage(), e);
        }
    }
}
