package dev.sparktune.preprocess.source;

import static dev.sparktune.preprocess.source.ConverterAssertions.converted;
import static dev.sparktune.preprocess.source.ConverterAssertions.failed;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.reject.RejectReason;
import org.junit.jupiter.api.Test;

class TextConverterTest {
    private final RecordConverter converter = new TextConverter(ColumnMapping.text("text"));

    @Test
    void textBecomesRawText() {
        assertEquals(
                Conversation.rawText("A document.\nTwo lines."),
                converted(converter, "{\"text\": \"A document.\\nTwo lines.\", \"meta\": 1}"));
    }

    @Test
    void mappedColumn() {
        RecordConverter content = new TextConverter(ColumnMapping.text("content"));
        assertEquals(Conversation.rawText("x"), converted(content, "{\"content\": \"x\"}"));
        failed(content, "{\"text\": \"x\"}", RejectReason.MISSING_FIELD, "content is missing");
    }

    @Test
    void failures() {
        failed(converter, "{\"body\": \"x\"}", RejectReason.MISSING_FIELD, "text is missing");
        failed(converter, "{\"text\": 1}", RejectReason.WRONG_TYPE, "text is a number");
        failed(converter, "{\"text\": \"\"}", RejectReason.EMPTY_CONVERSATION, "text is an empty string");
        failed(converter, "not json", RejectReason.MALFORMED_JSON, "record is not valid JSON");
    }
}
