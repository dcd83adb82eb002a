package dev.sparktune.preprocess.conversation;

import java.io.Serializable;
import java.util.Objects;

/**
 * One function call made by the assistant. {@code argumentsJson} is the arguments as the record gives them, as JSON
 * text: an object, or a string holding one (OpenAI's wire form), which stays a string (templates receive the value
 * parsed, as transformers does: a Jinja template then sees the string, and LLaMA-Factory's formats write it quoted).
 */
public record ToolCall(String name, String argumentsJson) implements Serializable {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(argumentsJson, "argumentsJson");
    }
}
