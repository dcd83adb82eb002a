package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.reject.RejectReason;
import java.util.Objects;

/**
 * Pre-training records ({@code stage=pt}) to {@link Conversation#rawText}: the text column
 * ({@link ColumnMapping#prompt()}, {@code text} unless dataset_info.json names another) holds the document.
 * Absent/null text is MISSING_FIELD, a non-string WRONG_TYPE, an empty string EMPTY_CONVERSATION (LLaMA-Factory
 * would train on the EOS token alone).
 */
public final class TextConverter extends JsonRecordConverter {
    private final String column;

    public TextConverter(ColumnMapping columns) {
        super(false);
        Objects.requireNonNull(columns, "columns");
        this.column = Objects.requireNonNull(columns.prompt(), "the text column (columns.prompt)");
    }

    @Override
    Conversation toConversation(ObjectNode record) throws RecordRejected {
        String text = RecordJson.requiredString(record, column, column, "the document text");
        if (text.isEmpty()) {
            throw new RecordRejected(
                    RejectReason.EMPTY_CONVERSATION, column + " is an empty string; expected the document text");
        }
        return Conversation.rawText(text);
    }
}
