package dev.sparktune.preprocess.conversation;

import java.io.Serializable;
import java.util.Objects;

/**
 * One function call made by the assistant. {@code argumentsJson} is the arguments object as JSON text
 * (templates receive it parsed, as transformers does).
 */
public record ToolCall(String name, String argumentsJson) implements Serializable {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(argumentsJson, "argumentsJson");
    }
}
