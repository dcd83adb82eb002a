package dev.sparktune.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command lines of the {@code sparktune} CLI that the pipeline's and the end-to-end tests both run. Strings only: the
 * tests pass them to the CLI themselves.
 */
public final class CliArgs {
    private CliArgs() {}

    /**
     * {@code init-model} of a Qwen3 with the repository's Qwen3 tokenizer, written to {@code out}, sized by
     * {@code sizes} (options such as {@code --hidden 16}; the command's defaults for those not given).
     */
    public static List<String> initQwen3(Path out, String... sizes) {
        List<String> args = new ArrayList<>(List.of(
                "init-model",
                "--arch",
                "Qwen3ForCausalLM",
                "--out",
                out.toString(),
                "--tokenizer",
                RepoPaths.resolve("assets/tokenizers/qwen3").toString()));
        args.addAll(List.of(sizes));
        return List.copyOf(args);
    }

    /**
     * {@code init-model} of the tiny Qwen3 the CLI and end-to-end tests train: hidden 16, MLP 32, 2 heads of 8 and 1
     * KV head (2 layers, the command's default), written to {@code out}.
     */
    public static List<String> initTinyQwen3(Path out) {
        return initQwen3(
                out, "--hidden", "16", "--intermediate", "32", "--heads", "2", "--kv-heads", "1", "--head-dim", "8");
    }

    /** {@code command} followed by {@code --set SETTING} for each of {@code settings}, in order. */
    public static String[] withSettings(List<String> command, String... settings) {
        List<String> args = new ArrayList<>(command);
        for (String setting : settings) {
            args.add("--set");
            args.add(setting);
        }
        return args.toArray(String[]::new);
    }

    /** A path as a HOCON quoted string for a {@code --set} value: unquoted, "//" would start a comment. */
    public static String quoted(Path path) {
        return "\"" + path + "\"";
    }
}
