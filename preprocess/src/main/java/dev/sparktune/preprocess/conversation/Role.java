package dev.sparktune.preprocess.conversation;

/**
 * The speaker of a {@link Message}, in the vocabulary HF chat templates use ({@code messages[i].role}).
 * ShareGPT's {@code human/gpt/function_call/observation} and OpenAI's {@code user/assistant/tool} map onto these.
 */
public enum Role {
    SYSTEM("system"),
    USER("user"),
    ASSISTANT("assistant"),
    /** A tool's answer to an assistant tool call (ShareGPT {@code observation}, OpenAI {@code tool}). */
    TOOL("tool");

    private final String templateName;

    Role(String templateName) {
        this.templateName = templateName;
    }

    /** The role string a chat template sees. */
    public String templateName() {
        return templateName;
    }
}
