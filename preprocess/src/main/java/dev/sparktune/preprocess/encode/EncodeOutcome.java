package dev.sparktune.preprocess.encode;

import dev.sparktune.preprocess.reject.Reject;
import java.io.Serializable;

/** What became of one input record: a document or a reject, never neither. */
public sealed interface EncodeOutcome extends Serializable {
    record Accepted(EncodedDocument document) implements EncodeOutcome {}

    record Rejected(Reject reject) implements EncodeOutcome {}
}
