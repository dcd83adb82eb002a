package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.reject.RejectReason;
import java.io.Serializable;
import java.util.Objects;

/** The outcome of converting one {@link SourceRecord}: a conversation, or exactly one reason it was rejected. */
public sealed interface Conversion extends Serializable
        permits Conversion.Converted, Conversion.Paired, Conversion.Failed {

    /** The record became a conversation. */
    record Converted(Conversation conversation) implements Conversion {
        public Converted {
            Objects.requireNonNull(conversation, "conversation");
        }
    }

    /**
     * A preference record: the same prompt answered twice, each conversation ending with its response (the chosen
     * one first).
     */
    record Paired(Conversation chosen, Conversation rejected) implements Conversion {
        public Paired {
            Objects.requireNonNull(chosen, "chosen");
            Objects.requireNonNull(rejected, "rejected");
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

    /** Whether the record became a conversation or a pair. */
    default boolean isConverted() {
        return !(this instanceof Failed);
    }
}
