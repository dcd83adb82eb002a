package dev.sparktune.preprocess.conversation;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * A normalised training example: what every input format (alpaca, sharegpt, OpenAI messages) is converted to before
 * a chat template renders it.
 *
 * <p>{@code messages} includes the system message, if any, as its first element (HF's convention), and otherwise
 * alternates user (or tool) and assistant turns ending with an assistant turn: the {@code RecordConverter}s check that.
 * {@code toolsJson} is the tool (function) definitions offered to the model as the dataset gives them (a JSON array,
 * or one tool object; see {@code RecordJson.toolsJson}), or {@code null}.
 * For {@code stage=pt} a conversation holds a single assistant message with the raw text (see {@link #rawText}).
 */
public record Conversation(List<Message> messages, String toolsJson) implements Serializable {
    public Conversation {
        messages = List.copyOf(messages);
        Objects.requireNonNull(messages, "messages");
    }

    /** Pre-training text: no template, the whole text is trained on. */
    public static Conversation rawText(String text) {
        return new Conversation(List.of(Message.of(Role.ASSISTANT, text)), null);
    }
}
