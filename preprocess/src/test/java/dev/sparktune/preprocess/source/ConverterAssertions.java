package dev.sparktune.preprocess.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.reject.RejectReason;
import java.util.ArrayList;
import java.util.List;

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

    /** User and assistant messages alternating, the user's first: what a plain chat record converts to. */
    static List<Message> dialogue(String... userThenAssistant) {
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < userThenAssistant.length; i++) {
            messages.add(Message.of(i % 2 == 0 ? Role.USER : Role.ASSISTANT, userThenAssistant[i]));
        }
        return List.copyOf(messages);
    }

    /** The system message, then the {@link #dialogue(String...)} of the other strings. */
    static List<Message> systemAndDialogue(String system, String... userThenAssistant) {
        List<Message> messages = new ArrayList<>();
        messages.add(Message.of(Role.SYSTEM, system));
        messages.addAll(dialogue(userThenAssistant));
        return List.copyOf(messages);
    }
}
