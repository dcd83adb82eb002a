package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.reject.RejectReason;
import java.io.Serializable;
import java.util.Objects;

/** The outcome of converting one {@link SourceRecord}: a conversation, or exactly one reason it was rejected. */
public sealed interface Conversion extends Serializable permits Conversion.Converted, Conversion.Failed {

    /** The record became a conversation. */
    record Converted(Conversation conversation) implements Conversion {
        public Converted {
            Objects.requireNonNull(conversation, "conversation");
        }
    }

    /**
     * The record is rejected.
     *
     * @param reason  machine-readable code
     * @param message names the field or turn and what is expected there
     */
    record Failed(RejectReason reason, String message) implements Conversion {
        public Failed {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    /** Whether the record became a conversation. */
    default boolean isConverted() {
        return this instanceof Converted;
    }
}
