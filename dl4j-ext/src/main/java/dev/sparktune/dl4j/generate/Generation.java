package dev.sparktune.dl4j.generate;

import java.util.Arrays;

/**
 * What {@link Generator#generate} produced after the prompt.
 *
 * @param tokens the generated ids, ending with the stop token when {@code reason} is {@link StopReason#STOP_TOKEN}
 */
public record Generation(int[] tokens, StopReason reason) {
    public enum StopReason {
        /** A stop token (end of turn / EOS) was generated. */
        STOP_TOKEN,
        /** {@code max_new_tokens} were generated without a stop token. */
        MAX_NEW_TOKENS
    }

    /** The tokens without a trailing stop token. */
    public int[] content() {
        return reason == StopReason.STOP_TOKEN ? Arrays.copyOf(tokens, tokens.length - 1) : tokens.clone();
    }
}
