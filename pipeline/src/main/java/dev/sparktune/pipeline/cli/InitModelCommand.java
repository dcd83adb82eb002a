package dev.sparktune.pipeline.cli;

import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.pipeline.config.SparkTuneConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sparktune init-model}: a randomly initialised model of a supported family saved as an HF model directory
 * (config.json, safetensors, the tokenizer files copied), for demos, tests and smoke runs of the pipeline.
 */
@Command(
        name = "init-model",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Create a randomly initialised model (LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, "
                + "MistralForCausalLM, Phi3ForCausalLM, Gemma3ForCausalLM or Qwen3MoeForCausalLM) with the given sizes "
                + "and save it as a "
                + "Hugging Face model directory, with the tokenizer files copied in. No Spark.",
        defaultValueProvider = InitModelCommand.ReferenceDefaults.class)
final class InitModelCommand implements Callable<Integer> {
    @Option(
            names = "--arch",
            required = true,
            paramLabel = "ARCH",
            description = "HF architecture, e.g. Qwen3ForCausalLM.")
    private String architecture;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write (local path).")
    private Path out;

    @Option(
            names = "--tokenizer",
            required = true,
            paramLabel = "DIR",
            description = "Directory holding tokenizer.json and tokenizer_config.json; the vocabulary size is "
                    + "1 + its largest token id unless --vocab is given.")
    private Path tokenizer;

    @Option(names = "--vocab", paramLabel = "N", description = "Vocabulary size (embedding rows).")
    private Integer vocab;

    @Option(names = "--hidden", paramLabel = "N", description = "hidden_size (default ${DEFAULT-VALUE}).")
    private int hidden;

    @Option(
            names = "--intermediate",
            paramLabel = "N",
            description = "intermediate_size of the MLP (default ${DEFAULT-VALUE}).")
    private int intermediate;

    @Option(names = "--layers", paramLabel = "N", description = "num_hidden_layers (default ${DEFAULT-VALUE}).")
    private int layers;

    @Option(names = "--heads", paramLabel = "N", description = "num_attention_heads (default ${DEFAULT-VALUE}).")
    private int heads;

    @Option(names = "--kv-heads", paramLabel = "N", description = "num_key_value_heads (default ${DEFAULT-VALUE}).")
    private int kvHeads;

    @Option(names = "--head-dim", paramLabel = "N", description = "head_dim (default hidden / heads).")
    private Integer headDim;

    @Option(
            names = "--tie",
            defaultValue = "true",
            paramLabel = "BOOL",
            arity = "1",
            description = "tie_word_embeddings (default ${DEFAULT-VALUE}).")
    private boolean tie;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed (default ${DEFAULT-VALUE}).")
    private long seed;

    @Option(
            names = "--std",
            paramLabel = "X",
            description =
                    "Standard deviation of the weights, transformers' initializer_range (default ${DEFAULT-VALUE}).")
    private double std;

    @Spec
    private CommandSpec spec;

    /**
     * The sizes, seed and std default to reference.conf's init_model section, the one source of a run's init_model
     * stage too: the verb and the stage make the same model unless told otherwise.
     */
    static final class ReferenceDefaults implements IDefaultValueProvider {
        private static final Map<String, String> KEYS = Map.of(
                "--hidden", "hidden_size",
                "--intermediate", "intermediate_size",
                "--layers", "num_hidden_layers",
                "--heads", "num_attention_heads",
                "--kv-heads", "num_key_value_heads",
                "--seed", "seed",
                "--std", "initializer_range");

        @Override
        public String defaultValue(ArgSpec arg) {
            String key = arg instanceof OptionSpec option ? KEYS.get(option.longestName()) : null;
            return key == null ? null : SparkTuneConfig.referenceDefault("init_model." + key);
        }
    }

    @Override
    public Integer call() {
        if (!Files.isRegularFile(tokenizer.resolve("tokenizer.json"))) {
            throw new ParameterException(spec.commandLine(), "--tokenizer: no tokenizer.json in " + tokenizer);
        }
        int vocabSize = vocab != null ? vocab : ModelInit.vocabSize(tokenizer);
        ModelConfig config;
        try {
            config = ModelInit.config(
                    architecture, vocabSize, hidden, intermediate, layers, heads, kvHeads, headDim, tie);
        } catch (RuntimeException e) {
            throw new ParameterException(spec.commandLine(), "cannot build the model config: " + e.getMessage());
        }
        HfModelDir.Loaded model = ModelInit.saveRandom(out, config, seed, std, tokenizer);
        spec.commandLine()
                .getOut()
                .println("init-model: " + architecture + " with "
                        + model.layout().totalLength() + " parameters in " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
