package dev.sparktune.preprocess.template;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * A conversation rendered by a {@link ChatTemplate}: the exact text {@code tokenizer.apply_chat_template(messages,
 * tokenize=False)} gives, and for each assistant turn, in order, the span of that text the model learns to produce:
 * the turn's content through its end-of-turn marker (e.g. {@code "Hi!<|im_end|>\n"}), without the turn header
 * ({@code "<|im_start|>assistant\n"}), which is the generation prompt the model is given at inference.
 */
public record RenderedConversation(String text, List<TextSpan> assistantSpans) implements Serializable {
    public RenderedConversation {
        Objects.requireNonNull(text, "text");
        assistantSpans = List.copyOf(assistantSpans);
        int previousEnd = 0;
        for (TextSpan span : assistantSpans) {
            if (span.start() < previousEnd || span.end() > text.length()) {
                throw new IllegalArgumentException("assistant spans must be ordered, disjoint and inside the text: "
                        + assistantSpans + " in " + text.length() + " chars");
            }
            previousEnd = span.end();
        }
    }
}
