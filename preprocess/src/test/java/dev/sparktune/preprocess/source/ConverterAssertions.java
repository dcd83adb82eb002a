package dev.sparktune.preprocess.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.reject.RejectReason;

/** Shared checks for the converter tests. */
final class ConverterAssertions {
    private ConverterAssertions() {}

    static SourceRecord record(String json) {
        return SourceRecord.of("test", "file:/test.jsonl", 1, json);
    }

    static Conversation converted(RecordConverter converter, String json) {
        Conversion c = converter.convert(record(json));
        if (c instanceof Conversion.Failed f) {
            throw new AssertionError("expected a conversation, got " + f.reason() + ": " + f.message());
        }
        return ((Conversion.Converted) c).conversation();
    }

    /** Asserts a failure with {@code reason} whose message contains every fragment. */
    static Conversion.Failed failed(RecordConverter converter, String json, RejectReason reason, String... fragments) {
        Conversion c = converter.convert(record(json));
        Conversion.Failed f = assertInstanceOf(Conversion.Failed.class, c, () -> "expected " + reason + ", got " + c);
        assertEquals(reason, f.reason(), f::message);
        for (String fragment : fragments) {
            assertTrue(
                    f.message().contains(fragment), () -> "message should contain <" + fragment + ">: " + f.message());
        }
        return f;
    }
}
