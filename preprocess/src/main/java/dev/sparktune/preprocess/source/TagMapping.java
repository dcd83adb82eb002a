package dev.sparktune.preprocess.source;

import java.io.Serializable;
import java.util.Objects;

/**
 * How sharegpt turns name their role and content (LLaMA-Factory {@code dataset_info.json} {@code tags}). As in
 * LLaMA-Factory, an entry with a {@code tags} object leaves the tags it does not name {@code null}: no turn can
 * have that role (e.g. the OpenAI example in LLaMA-Factory's data/README.md names no observation/function tag).
 *
 * @param roleTag        key of a turn's role (default {@code from})
 * @param contentTag     key of a turn's content (default {@code value})
 * @param userTag        role value of a user turn (default {@code human})
 * @param assistantTag   role value of an assistant turn (default {@code gpt})
 * @param observationTag role value of a tool result (default {@code observation}); becomes {@code Role.TOOL}
 * @param functionTag    role value of an assistant tool call (default {@code function_call})
 * @param systemTag      role value of a system turn, allowed as the first turn only (default {@code system})
 */
public record TagMapping(
        String roleTag,
        String contentTag,
        String userTag,
        String assistantTag,
        String observationTag,
        String functionTag,
        String systemTag)
        implements Serializable {
    public TagMapping {
        Objects.requireNonNull(roleTag, "tags.role_tag is required");
        Objects.requireNonNull(contentTag, "tags.content_tag is required");
    }

    /** ShareGPT: from/value with human, gpt, observation, function_call, system. */
    public static TagMapping sharegptDefaults() {
        return new TagMapping("from", "value", "human", "gpt", "observation", "function_call", "system");
    }

    /** OpenAI messages: role/content with user, assistant, tool, system (function calls as {@code tool_calls}). */
    public static TagMapping openAi() {
        return new TagMapping("role", "content", "user", "assistant", "tool", null, "system");
    }
}
