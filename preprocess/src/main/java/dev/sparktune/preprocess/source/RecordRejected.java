package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.reject.RejectReason;

/**
 * Thrown inside a converter to abandon a record; the converter's {@code convert} turns it into a
 * {@link Conversion.Failed}. Never escapes a converter. No stack trace: bad records are data, not bugs.
 */
final class RecordRejected extends Exception {
    private final RejectReason reason;

    RecordRejected(RejectReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    Conversion.Failed toFailure() {
        return new Conversion.Failed(reason, getMessage());
    }
}
