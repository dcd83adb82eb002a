package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.conversation.ToolCall;
import dev.sparktune.preprocess.reject.RejectReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * Sharegpt records (and OpenAI {@code messages} through tags) to conversations, as LLaMA-Factory's
 * {@code SharegptDatasetConverter} ({@code src/llamafactory/data/converter.py}):
 * <ul>
 *   <li>a first turn whose role is the system tag is the system prompt and overrides the system column;</li>
 *   <li>after it, user and observation turns must sit at even positions (0, 2, ...) and assistant and
 *       function_call turns at odd ones; an even number of turns, so the last one is the assistant's;</li>
 *   <li>observation turns become {@link Role#TOOL}; a function_call turn becomes an assistant message whose tool
 *       calls are parsed from its value ({@code {"name", "arguments"}} or a list of them, as LLaMA-Factory's
 *       {@code FunctionFormatter} reads it), with empty content; a thought before the JSON
 *       ({@code <think>\n...\n</think>\n\n{...}}) is the message's content, which LLaMA-Factory's templates write
 *       before the formatted calls.</li>
 * </ul>
 * Where LLaMA-Factory logs "Invalid role tag"/"Invalid message count" and drops the example, we reject it with
 * UNKNOWN_ROLE (a role no tag maps), ROLE_ORDER (out of place, a system turn after the first, or an odd count) or
 * EMPTY_CONVERSATION (no turns besides the system one), naming the turn. Also accepted, for OpenAI data: an
 * assistant turn with a non-empty {@code tool_calls} list (its {@code function} objects become the tool calls;
 * content may then be null), and {@code arguments} given as a string holding the JSON object (kept a string).
 */
public final class SharegptConverter extends JsonRecordConverter {
    /** How a thought before a function_call's JSON is written (LLaMA-Factory's default thought words). */
    private static final String THOUGHT_START = "<think>";

    private static final String THOUGHT_END = "</think>";

    private enum Kind {
        USER,
        ASSISTANT,
        OBSERVATION,
        FUNCTION,
        SYSTEM
    }

    private final ColumnMapping columns;
    private final TagMapping tags;

    public SharegptConverter(ColumnMapping columns, TagMapping tags) {
        this(columns, tags, false);
    }

    /** @param ranking records hold {@code columns.chosen} and {@code columns.rejected} turns after the prompt */
    public SharegptConverter(ColumnMapping columns, TagMapping tags, boolean ranking) {
        super(ranking);
        this.columns = Objects.requireNonNull(columns, "columns");
        this.tags = Objects.requireNonNull(tags, "tags");
        if (columns.messages() == null) {
            throw new IllegalArgumentException("sharegpt needs a messages column, got " + columns);
        }
    }

    @Override
    Conversation toConversation(ObjectNode record) throws RecordRejected {
        return new Conversation(turns(record, false), RecordJson.toolsJson(record, columns.tools()));
    }

    @Override
    List<Message> toPrompt(ObjectNode record) throws RecordRejected {
        return turns(record, true);
    }

    @Override
    Message response(ObjectNode record, boolean chosen) throws RecordRejected {
        String column = chosen ? columns.chosen() : columns.rejected();
        JsonNode turn = record.get(column);
        if (turn == null || turn.isNull()) {
            throw RecordJson.missing(column, "the " + (chosen ? "chosen" : "rejected") + " response as one turn");
        }
        return toMessage(turn, column, false);
    }

    @Override
    String toolsJson(ObjectNode record) throws RecordRejected {
        return RecordJson.toolsJson(record, columns.tools());
    }

    /**
     * The system prompt and the turns. A conversation must end with the assistant's turn; a preference prompt
     * ({@code endsWithUser}) with the user's, which the chosen and rejected turns answer.
     */
    private List<Message> turns(ObjectNode record, boolean endsWithUser) throws RecordRejected {
        String column = columns.messages();
        JsonNode turns = record.get(column);
        if (turns == null || turns.isNull()) {
            throw RecordJson.missing(column, "a list of turns");
        }
        if (!turns.isArray()) {
            throw RecordJson.wrongType(column, turns, "a list of turns");
        }
        if (turns.isEmpty()) {
            throw new RecordRejected(
                    RejectReason.EMPTY_CONVERSATION,
                    column + " is an empty list; expected alternating user and assistant turns");
        }

        List<Message> messages = new ArrayList<>();
        int start = 0;
        String system;
        JsonNode first = turns.get(0);
        if (tags.systemTag() != null
                && first.isObject()
                && first.get(tags.roleTag()) != null
                && tags.systemTag().equals(first.get(tags.roleTag()).asText(null))) {
            system = RecordJson.requiredString(
                    first, tags.contentTag(), column + "[0]." + tags.contentTag(), "the system prompt");
            start = 1;
        } else {
            system = RecordJson.optionalString(record, columns.system(), columns.system());
        }
        if (system != null && !system.isEmpty()) {
            messages.add(Message.of(Role.SYSTEM, system));
        }
        if (start == turns.size()) {
            throw new RecordRejected(
                    RejectReason.EMPTY_CONVERSATION,
                    column + " holds only a system turn; expected alternating user and assistant turns after it");
        }

        for (int i = start; i < turns.size(); i++) {
            messages.add(toMessage(turns.get(i), column + "[" + i + "]", (i - start) % 2 == 0));
        }
        if ((turns.size() - start) % 2 != (endsWithUser ? 1 : 0)) {
            int last = turns.size() - 1;
            throw new RecordRejected(
                    RejectReason.ROLE_ORDER,
                    column + " ends with " + column + "[" + last + "]."
                            + tags.roleTag() + " = "
                            + RecordJson.quote(
                                    turns.get(last).get(tags.roleTag()).asText())
                            + (endsWithUser
                                    ? "; a preference prompt must end with a user turn, which the chosen and "
                                            + "rejected turns answer (LLaMA-Factory drops pairs with an even number of prompt turns)"
                                    : "; a conversation must end with an assistant turn (LLaMA-Factory drops "
                                            + "conversations with an odd number of turns)"));
        }
        return messages;
    }

    private Message toMessage(JsonNode turn, String path, boolean userSlot) throws RecordRejected {
        if (!turn.isObject()) {
            throw RecordJson.wrongType(
                    path, turn, "a turn object with \"" + tags.roleTag() + "\" and \"" + tags.contentTag() + "\"");
        }
        String rolePath = path + "." + tags.roleTag();
        String role = RecordJson.requiredString(turn, tags.roleTag(), rolePath, "the role");
        Kind kind = kindOf(role);
        if (kind == null) {
            throw new RecordRejected(
                    RejectReason.UNKNOWN_ROLE,
                    rolePath + " = " + RecordJson.quote(role)
                            + " is not a known role; expected one of " + knownRoles()
                            + " (map other role names with \"tags\" in dataset_info.json)");
        }
        if (kind == Kind.SYSTEM) {
            throw new RecordRejected(
                    RejectReason.ROLE_ORDER,
                    rolePath + " = " + RecordJson.quote(role) + " but a system turn is only allowed as the first turn");
        }
        boolean userSide = kind == Kind.USER || kind == Kind.OBSERVATION;
        if (userSide != userSlot) {
            throw new RecordRejected(
                    RejectReason.ROLE_ORDER,
                    rolePath + " = " + RecordJson.quote(role) + " but "
                            + (userSlot
                                    ? "a user turn (" + sideTags(tags.userTag(), tags.observationTag()) + ")"
                                    : "an assistant turn (" + sideTags(tags.assistantTag(), tags.functionTag()) + ")")
                            + " was expected (turns must alternate user/assistant, starting with the user)");
        }
        String contentPath = path + "." + tags.contentTag();
        return switch (kind) {
            case USER ->
                Message.of(
                        Role.USER, RecordJson.requiredString(turn, tags.contentTag(), contentPath, "the user's text"));
            case OBSERVATION ->
                Message.of(
                        Role.TOOL,
                        RecordJson.requiredString(turn, tags.contentTag(), contentPath, "the tool's result"));
            case FUNCTION -> functionCall(turn.get(tags.contentTag()), contentPath);
            case ASSISTANT -> assistant(turn, path, contentPath);
            case SYSTEM -> throw new IllegalStateException("handled above");
        };
    }

    /**
     * A function_call turn's calls, and the thought written before their JSON (up to the last {@code </think>} and
     * the whitespace after it) as the message's content: LLaMA-Factory's FunctionFormatter takes the thought out of
     * the text, parses the rest and writes the thought before the formatted calls.
     */
    private static Message functionCall(JsonNode value, String path) throws RecordRejected {
        if (value != null
                && value.isTextual()
                && value.textValue().stripLeading().startsWith(THOUGHT_START)) {
            String text = value.textValue();
            int end = text.lastIndexOf(THOUGHT_END);
            if (end >= 0) {
                int json = end + THOUGHT_END.length();
                while (json < text.length() && Character.isWhitespace(text.charAt(json))) {
                    json++;
                }
                return new Message(
                        Role.ASSISTANT,
                        text.substring(0, json),
                        RecordJson.toolCalls(TextNode.valueOf(text.substring(json)), path));
            }
        }
        return new Message(Role.ASSISTANT, "", RecordJson.toolCalls(value, path));
    }

    private Message assistant(JsonNode turn, String path, String contentPath) throws RecordRejected {
        JsonNode openAiCalls = turn.get("tool_calls");
        if (openAiCalls != null && openAiCalls.isArray() && !openAiCalls.isEmpty()) {
            List<ToolCall> calls = RecordJson.toolCalls(openAiCalls, path + ".tool_calls");
            String content = RecordJson.optionalString(turn, tags.contentTag(), contentPath);
            return new Message(Role.ASSISTANT, content == null ? "" : content, calls);
        }
        return Message.of(
                Role.ASSISTANT,
                RecordJson.requiredString(turn, tags.contentTag(), contentPath, "the assistant's text"));
    }

    private Kind kindOf(String role) {
        if (role.equals(tags.userTag())) {
            return Kind.USER;
        }
        if (role.equals(tags.assistantTag())) {
            return Kind.ASSISTANT;
        }
        if (role.equals(tags.observationTag())) {
            return Kind.OBSERVATION;
        }
        if (role.equals(tags.functionTag())) {
            return Kind.FUNCTION;
        }
        if (role.equals(tags.systemTag())) {
            return Kind.SYSTEM;
        }
        return null;
    }

    private String knownRoles() {
        StringJoiner j = new StringJoiner(", ");
        for (String tag : new String[] {
            tags.userTag(), tags.assistantTag(), tags.observationTag(), tags.functionTag(), tags.systemTag()
        }) {
            if (tag != null) {
                j.add(RecordJson.quote(tag));
            }
        }
        return j.toString();
    }

    private static String sideTags(String main, String other) {
        return other == null ? RecordJson.quote(main) : RecordJson.quote(main) + " or " + RecordJson.quote(other);
    }
}
