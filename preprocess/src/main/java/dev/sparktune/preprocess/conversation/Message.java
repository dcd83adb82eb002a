package dev.sparktune.preprocess.conversation;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation. {@code toolCalls} is non-empty only for an assistant turn that calls tools
 * (ShareGPT {@code function_call}); its {@code content} may then be empty.
 */
public record Message(Role role, String content, List<ToolCall> toolCalls) implements Serializable {
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        toolCalls = List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("only assistant messages carry tool calls, not " + role);
        }
    }

    public static Message of(Role role, String content) {
        return new Message(role, content, List.of());
    }
}
