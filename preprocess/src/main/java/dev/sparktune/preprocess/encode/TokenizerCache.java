package dev.sparktune.preprocess.encode;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One native HF tokenizer per tokenizer (by SHA-256) per JVM: executors run many tasks, and loading a 150k-token
 * tokenizer.json takes ~0.5 s. The Rust tokenizer is thread-safe for encoding.
 */
public final class TokenizerCache {
    /**
     * DJL defaults to truncating at 512 tokens and may add special tokens; we want exactly what the tokenizer
     * produces for the rendered text (transformers' apply_chat_template tokenizes with add_special_tokens=False).
     */
    private static final Map<String, String> OPTIONS = Map.of(
            "addSpecialTokens", "false",
            "truncation", "false",
            "padding", "false",
            "maxLength", String.valueOf(Integer.MAX_VALUE));

    private static final Map<String, HuggingFaceTokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private TokenizerCache() {}

    /** The JVM's shared tokenizer for these files (do not close it). */
    public static HuggingFaceTokenizer get(TokenizerFiles files) {
        return TOKENIZERS.computeIfAbsent(files.sha256(), sha -> {
            System.setProperty("OPT_OUT_TRACKING", "true");
            try {
                return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(files.tokenizerJson()), OPTIONS);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load tokenizer.json (sha256 " + sha + "): " + e.getMessage(), e);
            }
        });
    }
}
