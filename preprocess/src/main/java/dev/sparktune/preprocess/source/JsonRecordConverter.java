package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.conversation.Conversation;

/**
 * The part every format shares: a read error passes through, the record text must parse as one JSON object, and a
 * {@link RecordRejected} thrown by the format's own {@link #toConversation} becomes a {@link Conversion.Failed}.
 */
abstract class JsonRecordConverter implements RecordConverter {

    @Override
    public final Conversion convert(SourceRecord record) {
        if (!record.isReadable()) {
            return new Conversion.Failed(record.readError(), record.readErrorMessage());
        }
        try {
            return new Conversion.Converted(toConversation(RecordJson.parseRecord(record.text())));
        } catch (RecordRejected e) {
            return e.toFailure();
        }
    }

    /** The format's conversion of one parsed record. */
    abstract Conversation toConversation(ObjectNode record) throws RecordRejected;
}
