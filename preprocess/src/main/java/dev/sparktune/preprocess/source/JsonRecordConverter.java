package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * The part every format shares: a read error passes through, the record text must parse as one JSON object, and a
 * {@link RecordRejected} thrown by the format's own {@link #toConversation} becomes a {@link Conversion.Failed}.
 */
abstract class JsonRecordConverter implements RecordConverter {

    private final boolean ranking;

    /** @param ranking the dataset holds preference pairs: records become {@link Conversion.Paired} */
    JsonRecordConverter(boolean ranking) {
        this.ranking = ranking;
    }

    @Override
    public final Conversion convert(SourceRecord record) {
        if (!record.isReadable()) {
            return new Conversion.Failed(record.readError(), record.readErrorMessage());
        }
        try {
            ObjectNode json = RecordJson.parseRecord(record.text());
            if (ranking) {
                List<Message> prompt = toPrompt(json);
                List<Message> chosen = new ArrayList<>(prompt);
                chosen.add(response(json, true));
                List<Message> rejected = new ArrayList<>(prompt);
                rejected.add(response(json, false));
                String tools = toolsJson(json);
                return new Conversion.Paired(new Conversation(chosen, tools), new Conversation(rejected, tools));
            }
            return new Conversion.Converted(toConversation(json));
        } catch (RecordRejected e) {
            return e.toFailure();
        }
    }

    /** The format's conversion of one parsed record. */
    abstract Conversation toConversation(ObjectNode record) throws RecordRejected;

    /** A preference record's prompt: its messages up to and including the last user turn (LLaMA-Factory's). */
    List<Message> toPrompt(ObjectNode record) throws RecordRejected {
        throw new IllegalStateException(getClass().getSimpleName() + " reads no preference pairs");
    }

    /** A preference record's chosen or rejected response, as an assistant message. */
    Message response(ObjectNode record, boolean chosen) throws RecordRejected {
        throw new IllegalStateException(getClass().getSimpleName() + " reads no preference pairs");
    }

    /** A preference record's tool definitions as a JSON array, or null. */
    String toolsJson(ObjectNode record) throws RecordRejected {
        return null;
    }
}
