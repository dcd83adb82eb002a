package dev.sparktune.preprocess.template;

import dev.sparktune.preprocess.conversation.Conversation;
import java.io.Serializable;

/**
 * Turns a conversation into model text. Implementations are immutable and thread-safe; they are serialized to
 * Spark executors.
 */
public interface ChatTemplate extends Serializable {

    /** The template's name as configured ({@code auto}, {@code qwen3}, ...). */
    String name();

    /**
     * Renders a whole conversation (no generation prompt) and locates the assistant turns in it.
     *
     * @throws TemplateException if the template raises an error or the assistant turns cannot be placed
     */
    RenderedConversation render(Conversation conversation);
}
