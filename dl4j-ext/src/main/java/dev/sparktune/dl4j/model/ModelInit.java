package dev.sparktune.dl4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.dl4j.params.ParamLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code init-model}: a randomly initialised model of any supported family, saved as an HF directory (tests and the
 * demo use these). Initialisation follows transformers' {@code _init_weights}: matrices ~ N(0, std), norms 1,
 * biases 0.
 */
public final class ModelInit {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ModelInit() {
    }

    /** Random parameters for {@code config}, deterministic in {@code seed}. */
    public static HfModelDir.Loaded random(ModelConfig config, long seed, double std) {
        if (!(std > 0)) {
            throw new IllegalArgumentException("std must be > 0, got " + std);
        }
        ParamLayout layout = HfParamNames.layout(config);
        INDArray params = layout.allocate();
        Random random = new Random(seed);
        for (ParamLayout.Entry e : layout.entries()) {
            INDArray view = layout.view(params, e.name());
            if (e.name().endsWith("norm.weight")) {
                view.assign(1.0);
            } else if (e.name().endsWith(".bias")) {
                view.assign(0.0);
            } else {
                float[] values = new float[(int) e.length()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * std);
                }
                view.assign(Nd4j.create(values, e.shape(), 'c'));
            }
        }
        return new HfModelDir.Loaded(config, layout, params);
    }

    /**
     * The vocabulary size a tokenizer directory implies: 1 + the largest id in {@code tokenizer.json}'s model vocab
     * and added tokens.
     */
    public static int vocabSize(Path tokenizerDir) {
        Path file = tokenizerDir.resolve("tokenizer.json");
        try {
            JsonNode root = MAPPER.readTree(file.toFile());
            int max = -1;
            JsonNode vocab = root.path("model").path("vocab");
            if (vocab.isObject()) {
                for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
                    max = Math.max(max, id.asInt());
                }
            }
            for (JsonNode t : root.path("added_tokens")) {
                max = Math.max(max, t.path("id").asInt(-1));
            }
            if (max < 0) {
                throw new ModelException(file + ": no model.vocab object or added_tokens ids; is this a Hugging Face"
                        + " tokenizer.json (BPE/WordPiece)?");
            }
            return max + 1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code init-model --arch Qwen3ForCausalLM --out DIR [--tokenizer DIR] [--vocab N] [--hidden 64]
     * [--intermediate 256] [--layers 2] [--heads 4] [--kv-heads 2] [--head-dim D] [--tie true] [--seed 0]
     * [--std 0.02] [--max-shard-bytes N]}: the vocabulary comes from the tokenizer unless --vocab is given.
     */
    public static void main(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: init-model --arch ARCH --out DIR [--tokenizer DIR] "
                        + "[--vocab N] [--hidden N] [--intermediate N] [--layers N] [--heads N] [--kv-heads N] "
                        + "[--head-dim N] [--tie true|false] [--seed N] [--std X]; got " + String.join(" ", args));
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        Path out = Path.of(require(opts, "out"));
        Path tokenizer = opts.containsKey("tokenizer") ? Path.of(opts.get("tokenizer")) : null;
        int vocab = opts.containsKey("vocab") ? Integer.parseInt(opts.get("vocab"))
                : tokenizer != null ? vocabSize(tokenizer) : fail("--vocab or --tokenizer is required");
        ObjectNode cfg = MAPPER.createObjectNode();
        cfg.putArray("architectures").add(require(opts, "arch"));
        cfg.put("vocab_size", vocab);
        cfg.put("hidden_size", Integer.parseInt(opts.getOrDefault("hidden", "64")));
        cfg.put("intermediate_size", Integer.parseInt(opts.getOrDefault("intermediate", "256")));
        cfg.put("num_hidden_layers", Integer.parseInt(opts.getOrDefault("layers", "2")));
        cfg.put("num_attention_heads", Integer.parseInt(opts.getOrDefault("heads", "4")));
        cfg.put("num_key_value_heads", Integer.parseInt(opts.getOrDefault("kv-heads", "2")));
        if (opts.containsKey("head-dim")) {
            cfg.put("head_dim", Integer.parseInt(opts.get("head-dim")));
        }
        cfg.put("tie_word_embeddings", Boolean.parseBoolean(opts.getOrDefault("tie", "true")));
        cfg.put("max_position_embeddings", 4096);
        cfg.putNull("sliding_window"); // Mistral: full attention unless a window is configured later
        ModelConfig config = HfConfigReader.parse(cfg.toString(), "init-model arguments");
        HfModelDir.Loaded model = random(config, Long.parseLong(opts.getOrDefault("seed", "0")),
                Double.parseDouble(opts.getOrDefault("std", "0.02")));
        HfModelDir.save(out, config, model.layout(), model.params(), tokenizer,
                Long.parseLong(opts.getOrDefault("max-shard-bytes", "5000000000")));
        System.out.println("initialised " + config.spec().architecture() + " with " + model.layout().totalLength()
                + " parameters in " + out);
    }

    private static String require(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            throw new IllegalArgumentException("init-model: --" + key + " is required");
        }
        return v;
    }

    private static int fail(String message) {
        throw new IllegalArgumentException("init-model: " + message);
    }
}
