package dev.sparktune.preprocess.api;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The prep config hash written into the packed table's properties: sha256 over a canonical rendering of every setting
 * that shapes the table's rows. Computed from the typed {@link PrepConfig}, so a LLaMA-Factory YAML and a HOCON file
 * meaning the same thing hash the same (the pipeline's config loader relies on it); where the outputs go (output, rejects and stats paths) does not count.
 */
public final class PrepConfigHash {
    /** Bumped whenever the canonical form changes, so that old and new hashes never collide by accident. */
    static final String FORMAT = "sparktune-prep-config/1";

    private PrepConfigHash() {}

    /** {@code key=value} lines, sorted by key, keys as in reference.conf; strings and lists JSON-quoted. */
    public static String canonical(PrepConfig config) {
        Map<String, String> lines = new TreeMap<>();
        lines.put("data.cutoff_len", Integer.toString(config.labels().cutoffLen()));
        lines.put(
                "data.dataset",
                config.datasets().stream().map(PrepConfigHash::quote).collect(Collectors.joining(",", "[", "]")));
        lines.put("data.dataset_dir", quote(config.datasetDir()));
        lines.put("data.mask_history", Boolean.toString(config.labels().maskHistory()));
        lines.put("data.max_samples", Long.toString(config.maxSamples()));
        lines.put("data.overlong", quote(config.labels().overlong().name().toLowerCase(Locale.ROOT)));
        lines.put("data.packing", Boolean.toString(config.packing()));
        lines.put("data.seed", Long.toString(config.split().seed()));
        lines.put("data.stage", quote(config.stage().name().toLowerCase(Locale.ROOT)));
        lines.put("data.train_on_prompt", Boolean.toString(config.labels().trainOnPrompt()));
        lines.put("data.val_size", Double.toString(config.split().valSize()));
        lines.put("model.enable_thinking", Boolean.toString(config.template().enableThinking()));
        lines.put("model.model_name_or_path", quote(config.modelPath()));
        lines.put("model.template", quote(config.template().name()));
        lines.put("prep.partitions", Integer.toString(config.partitions()));
        return lines.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", FORMAT + "\n", "\n"));
    }

    private static String quote(String value) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + '"';
    }

    /** Lower-case hex sha256 of {@link #canonical(PrepConfig)}. */
    public static String sha256(PrepConfig config) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(canonical(config).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
