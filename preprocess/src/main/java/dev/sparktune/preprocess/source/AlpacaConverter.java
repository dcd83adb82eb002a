package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Alpaca records to conversations, as LLaMA-Factory's {@code AlpacaDatasetConverter}
 * ({@code src/llamafactory/data/converter.py}): system prompt first (if the system column is set and non-empty),
 * then each {@code history} pair as a user and an assistant turn, then the user turn {@code instruction + "\n" +
 * input} (empty parts left out, so a missing or empty input gives just the instruction), then {@code output} as
 * the assistant turn.
 *
 * <p>A ranking dataset's record has {@code chosen} and {@code rejected} strings instead of {@code output}: the
 * prompt is built the same way and answered by each (LLaMA-Factory's pairwise example).
 *
 * <p>Stricter than LLaMA-Factory, which silently trains on what it can: a missing/null instruction or output is
 * MISSING_FIELD (LLaMA-Factory would build an empty prompt, or drop the example later); a non-string field, or a
 * {@code history} that is not a list of [prompt, response] string pairs, is WRONG_TYPE (LLaMA-Factory ignores a
 * non-list history and crashes on a bad pair).
 */
public final class AlpacaConverter extends JsonRecordConverter {
    private final ColumnMapping columns;

    public AlpacaConverter(ColumnMapping columns) {
        this(columns, false);
    }

    /** @param ranking records hold {@code columns.chosen} and {@code columns.rejected} instead of a response */
    public AlpacaConverter(ColumnMapping columns, boolean ranking) {
        super(ranking);
        this.columns = Objects.requireNonNull(columns, "columns");
        if ((ranking ? columns.chosen() == null || columns.rejected() == null : columns.response() == null)
                || (columns.prompt() == null && columns.query() == null)) {
            throw new IllegalArgumentException(
                    "alpaca needs " + (ranking ? "chosen and rejected columns" : "a " + "response column")
                            + " and a prompt or query column, got " + columns);
        }
    }

    @Override
    Conversation toConversation(ObjectNode record) throws RecordRejected {
        List<Message> messages = toPrompt(record);
        String output =
                RecordJson.requiredString(record, columns.response(), columns.response(), "the model's response");
        messages.add(Message.of(Role.ASSISTANT, output));
        return new Conversation(messages, toolsJson(record));
    }

    @Override
    List<Message> toPrompt(ObjectNode record) throws RecordRejected {
        List<Message> messages = new ArrayList<>();
        String system = RecordJson.optionalString(record, columns.system(), columns.system());
        if (system != null && !system.isEmpty()) {
            messages.add(Message.of(Role.SYSTEM, system));
        }
        addHistory(record, messages);

        List<String> prompt = new ArrayList<>(2);
        if (columns.prompt() != null) {
            String instruction =
                    RecordJson.requiredString(record, columns.prompt(), columns.prompt(), "the instruction");
            if (!instruction.isEmpty()) {
                prompt.add(instruction);
            }
        }
        String input = RecordJson.optionalString(record, columns.query(), columns.query());
        if (input != null && !input.isEmpty()) {
            prompt.add(input);
        }
        messages.add(Message.of(Role.USER, String.join("\n", prompt)));
        return messages;
    }

    @Override
    Message response(ObjectNode record, boolean chosen) throws RecordRejected {
        String column = chosen ? columns.chosen() : columns.rejected();
        return Message.of(
                Role.ASSISTANT,
                RecordJson.requiredString(
                        record, column, column, chosen ? "the chosen response" : "the rejected response"));
    }

    @Override
    String toolsJson(ObjectNode record) throws RecordRejected {
        return RecordJson.toolsJson(record, columns.tools());
    }

    private void addHistory(ObjectNode record, List<Message> messages) throws RecordRejected {
        String column = columns.history();
        if (column == null) {
            return;
        }
        JsonNode history = record.get(column);
        if (history == null || history.isNull()) {
            return;
        }
        String expected = "a list of [prompt, response] string pairs";
        if (!history.isArray()) {
            throw RecordJson.wrongType(column, history, expected);
        }
        for (int i = 0; i < history.size(); i++) {
            JsonNode pair = history.get(i);
            String path = column + "[" + i + "]";
            if (!pair.isArray() || pair.size() != 2) {
                throw RecordJson.wrongType(path, pair, "a [prompt, response] pair of strings");
            }
            for (int j = 0; j < 2; j++) {
                if (!pair.get(j).isTextual()) {
                    throw RecordJson.wrongType(
                            path + "[" + j + "]",
                            pair.get(j),
                            j == 0 ? "a string (the user prompt)" : "a string (the model's response)");
                }
            }
            messages.add(Message.of(Role.USER, pair.get(0).textValue()));
            messages.add(Message.of(Role.ASSISTANT, pair.get(1).textValue()));
        }
    }
}
