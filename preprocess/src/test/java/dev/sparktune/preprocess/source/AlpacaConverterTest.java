package dev.sparktune.preprocess.source;

import static dev.sparktune.preprocess.source.ConverterAssertions.converted;
import static dev.sparktune.preprocess.source.ConverterAssertions.dialogue;
import static dev.sparktune.preprocess.source.ConverterAssertions.failed;
import static dev.sparktune.preprocess.source.ConverterAssertions.systemAndDialogue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.reject.RejectReason;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlpacaConverterTest {
    /** What a direct path sniffed as alpaca reads: defaults plus system, history and tools. */
    private static final ColumnMapping ALL =
            ColumnMapping.alpaca("instruction", "input", "output", "history", "system", "tools");

    private final RecordConverter converter = new AlpacaConverter(ALL);

    @Test
    void instructionAndInputJoinWithANewline() {
        Conversation c = converted(
                converter, "{\"instruction\": \"Translate\", \"input\": \"Good morning\", \"output\": \"Bonjour\"}");
        assertEquals(dialogue("Translate\nGood morning", "Bonjour"), c.messages());
        assertNull(c.toolsJson());
    }

    @Test
    void emptyOrMissingInputLeavesTheInstructionAlone() {
        assertEquals(
                "Name a colour",
                converted(converter, "{\"instruction\": \"Name a colour\", \"input\": \"\", \"output\": \"Blue\"}")
                        .messages()
                        .get(0)
                        .content());
        assertEquals(
                "Name a colour",
                converted(converter, "{\"instruction\": \"Name a colour\", \"input\": null, \"output\": \"Blue\"}")
                        .messages()
                        .get(0)
                        .content());
        assertEquals(
                "only input",
                converted(converter, "{\"instruction\": \"\", \"input\": \"only input\", \"output\": \"x\"}")
                        .messages()
                        .get(0)
                        .content());
    }

    @Test
    void systemFirstThenHistoryPairsThenTheInstruction() {
        Conversation c = converted(
                converter,
                "{\"system\": \"Be terse.\", \"instruction\": \"And another?\", "
                        + "\"output\": \"Green\", \"history\": [[\"Name a fruit\", \"Apple\"], [\"Another?\", \"Pear\"]]}");
        assertEquals(
                systemAndDialogue("Be terse.", "Name a fruit", "Apple", "Another?", "Pear", "And another?", "Green"),
                c.messages());
    }

    @Test
    void emptySystemIsNoSystemMessage() {
        Conversation c = converted(converter, "{\"system\": \"\", \"instruction\": \"q\", \"output\": \"a\"}");
        assertEquals(Role.USER, c.messages().get(0).role());
    }

    @Test
    void toolsAreTheTextLlamaFactoryHandsItsTemplates() {
        // a string as it is (an empty list too: it still writes the system slot), a JSON value as json.dumps writes it
        Conversation c = converted(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\", " + "\"tools\": \"[{\\\"name\\\":\\\"f\\\"}]\"}");
        assertEquals("[{\"name\":\"f\"}]", c.toolsJson());
        assertEquals(
                "[]",
                converted(converter, "{\"instruction\": \"q\", \"output\": \"a\", \"tools\": \"[]\"}")
                        .toolsJson());
        assertEquals(
                "[{\"name\": \"f\", \"d\": \"é\"}]",
                converted(
                                converter,
                                "{\"instruction\": \"q\", \"output\": \"a\", \"tools\": [{\"name\":\"f\",\"d\":\"é\"}]}")
                        .toolsJson());
        assertNull(converted(converter, "{\"instruction\": \"q\", \"output\": \"a\", \"tools\": \" \"}")
                .toolsJson());
    }

    @Test
    void unmappedColumnsAreIgnoredAsInLlamaFactory() {
        RecordConverter onlyTwo =
                new AlpacaConverter(ColumnMapping.alpaca("question", null, "answer", null, null, null));
        Conversation c = converted(
                onlyTwo,
                "{\"question\": \"2+2?\", \"answer\": \"4\", \"input\": \"ignored\", \"system\": \"ignored\"}");
        assertEquals(dialogue("2+2?", "4"), c.messages());
    }

    @Test
    void factoryPicksAlpacaForSft() {
        DatasetSpec spec = new DatasetSpec(
                "d",
                List.of("file:/d.json"),
                FileFormat.JSON_ARRAY,
                Formatting.ALPACA,
                ALL,
                TagMapping.sharegptDefaults());
        assertEquals(
                AlpacaConverter.class, RecordConverter.forSpec(spec, Stage.SFT).getClass());
        assertEquals(
                TextConverter.class, RecordConverter.forSpec(spec, Stage.PT).getClass());
    }

    @Test
    void missingOutputIsMissingField() {
        failed(converter, "{\"instruction\": \"q\"}", RejectReason.MISSING_FIELD, "output", "missing");
        failed(converter, "{\"instruction\": \"q\", \"output\": null}", RejectReason.MISSING_FIELD, "output");
    }

    @Test
    void missingInstructionIsMissingField() {
        failed(converter, "{\"output\": \"a\"}", RejectReason.MISSING_FIELD, "instruction");
    }

    @Test
    void nonStringFieldsAreWrongType() {
        failed(
                converter,
                "{\"instruction\": 5, \"output\": \"a\"}",
                RejectReason.WRONG_TYPE,
                "instruction is a number (5)",
                "string");
        failed(
                converter,
                "{\"instruction\": \"q\", \"input\": [1], \"output\": \"a\"}",
                RejectReason.WRONG_TYPE,
                "input is a JSON array");
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": {\"x\": 1}}",
                RejectReason.WRONG_TYPE,
                "output is a JSON object");
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\", \"system\": true}",
                RejectReason.WRONG_TYPE,
                "system is a boolean");
    }

    @Test
    void badHistoryNamesThePair() {
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\", \"history\": \"nope\"}",
                RejectReason.WRONG_TYPE,
                "history is a string",
                "[prompt, response]");
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\", \"history\": [[\"p\", \"r\"], [\"only one\"]]}",
                RejectReason.WRONG_TYPE,
                "history[1]",
                "pair");
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\", \"history\": [[\"p\", 3]]}",
                RejectReason.WRONG_TYPE,
                "history[0][1]",
                "response");
    }

    @Test
    void badToolsAreRejected() {
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\", \"tools\": \"[{oops\"}",
                RejectReason.MALFORMED_JSON,
                "tools is not valid JSON");
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\", \"tools\": 7}",
                RejectReason.WRONG_TYPE,
                "tools is a number");
    }

    @Test
    void malformedOrNonObjectRecords() {
        failed(
                converter,
                "{\"instruction\": \"q\", ",
                RejectReason.MALFORMED_JSON,
                "record is not valid JSON",
                "line 1");
        failed(
                converter,
                "{\"instruction\": \"q\", \"output\": \"a\"} trailing",
                RejectReason.MALFORMED_JSON,
                "record is not valid JSON");
        failed(converter, "[1, 2]", RejectReason.WRONG_TYPE, "record is a JSON array", "JSON object");
    }

    @Test
    void readErrorsPassThrough() {
        SourceRecord unreadable = SourceRecord.failed(
                "d", "file:/x.jsonl", 3, null, RejectReason.INVALID_UTF8, "line 3 is not valid UTF-8");
        assertEquals(
                new Conversion.Failed(RejectReason.INVALID_UTF8, "line 3 is not valid UTF-8"),
                converter.convert(unreadable));
    }
}
