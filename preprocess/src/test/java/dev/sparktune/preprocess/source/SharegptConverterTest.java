package dev.sparktune.preprocess.source;

import static dev.sparktune.preprocess.source.ConverterAssertions.converted;
import static dev.sparktune.preprocess.source.ConverterAssertions.dialogue;
import static dev.sparktune.preprocess.source.ConverterAssertions.failed;
import static dev.sparktune.preprocess.source.ConverterAssertions.systemAndDialogue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.conversation.ToolCall;
import dev.sparktune.preprocess.reject.RejectReason;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharegptConverterTest {
    private static final ColumnMapping SHAREGPT_COLUMNS = ColumnMapping.sharegpt("conversations", "system", "tools");
    private final RecordConverter sharegpt = new SharegptConverter(SHAREGPT_COLUMNS, TagMapping.sharegptDefaults());
    /** LLaMA-Factory's data/README.md OpenAI entry: messages column, role/content tags, no observation tag. */
    private final RecordConverter openAiReadme = new SharegptConverter(
            ColumnMapping.sharegpt("messages", null, null),
            new TagMapping("role", "content", "user", "assistant", null, null, "system"));

    private static String turns(String... fromValue) {
        StringBuilder sb = new StringBuilder("{\"conversations\": [");
        for (int i = 0; i < fromValue.length; i += 2) {
            sb.append(i == 0 ? "" : ", ")
                    .append("{\"from\": \"")
                    .append(fromValue[i])
                    .append("\", \"value\": ")
                    .append(fromValue[i + 1])
                    .append('}');
        }
        return sb.append("]}").toString();
    }

    /** A human turn, then a function_call turn whose value is {@code valueJson}. */
    private static String functionCallAfterAQuestion(String valueJson) {
        return turns("human", "\"a\"", "function_call", valueJson);
    }

    @Test
    void alternatingTurns() {
        Conversation c = converted(
                sharegpt, turns("human", "\"Hi\"", "gpt", "\"Hello\"", "human", "\"Bye\"", "gpt", "\"Ciao\""));
        assertEquals(dialogue("Hi", "Hello", "Bye", "Ciao"), c.messages());
    }

    @Test
    void systemColumnComesFirstAndASystemTurnOverridesIt() {
        Conversation fromColumn = converted(
                sharegpt,
                "{\"system\": \"col\", \"conversations\": "
                        + "[{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}");
        assertEquals(Message.of(Role.SYSTEM, "col"), fromColumn.messages().get(0));
        Conversation fromTurn = converted(
                sharegpt,
                "{\"system\": \"col\", \"conversations\": [{\"from\": \"system\", "
                        + "\"value\": \"turn\"}, {\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}");
        assertEquals(systemAndDialogue("turn", "q", "a"), fromTurn.messages());
    }

    @Test
    void functionCallAndObservation() {
        Conversation c = converted(
                sharegpt,
                "{\"conversations\": ["
                        + "{\"from\": \"human\", \"value\": \"Weather in Paris?\"}, "
                        + "{\"from\": \"function_call\", \"value\": \"{\\\"name\\\": \\\"get_weather\\\", "
                        + "\\\"arguments\\\": {\\\"city\\\": \\\"Paris\\\"}}\"}, "
                        + "{\"from\": \"observation\", \"value\": \"{\\\"temp\\\": 21}\"}, "
                        + "{\"from\": \"gpt\", \"value\": \"21 degrees\"}], "
                        + "\"tools\": \"[{\\\"name\\\": \\\"get_weather\\\"}]\"}");
        assertEquals(
                List.of(
                        Message.of(Role.USER, "Weather in Paris?"),
                        new Message(Role.ASSISTANT, "", List.of(new ToolCall("get_weather", "{\"city\":\"Paris\"}"))),
                        Message.of(Role.TOOL, "{\"temp\": 21}"),
                        Message.of(Role.ASSISTANT, "21 degrees")),
                c.messages());
        assertEquals("[{\"name\": \"get_weather\"}]", c.toolsJson());
    }

    /** Arguments given as a string stay that string: LLaMA-Factory's templates write it quoted (json.dumps). */
    @Test
    void parallelCallsAndStringArgumentsKeptAsStrings() {
        Conversation c = converted(
                sharegpt,
                turns(
                        "human",
                        "\"go\"",
                        "function_call",
                        "\"[{\\\"name\\\": \\\"a\\\", \\\"arguments\\\": {}}, "
                                + "{\\\"name\\\": \\\"b\\\", \\\"arguments\\\": \\\"{\\\\\\\"x\\\\\\\": 1}\\\"}]\""));
        assertEquals(
                List.of(new ToolCall("a", "{}"), new ToolCall("b", "\"{\\\"x\\\": 1}\"")),
                c.messages().get(1).toolCalls());
        failed(
                sharegpt,
                functionCallAfterAQuestion("\"{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": \\\"[1]\\\"}\""),
                RejectReason.WRONG_TYPE,
                "conversations[1].value.arguments is a string");
    }

    /** A thought before the call's JSON is kept as the message's text, as LLaMA-Factory writes it before the call. */
    @Test
    void aThoughtBeforeTheCallIsTheMessagesText() {
        Conversation c = converted(
                sharegpt,
                functionCallAfterAQuestion(
                        "\"<think>\\nWhy.\\n</think>\\n\\n" + "{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": {}}\""));
        assertEquals(
                new Message(Role.ASSISTANT, "<think>\nWhy.\n</think>\n\n", List.of(new ToolCall("f", "{}"))),
                c.messages().get(1));
        failed(
                sharegpt,
                functionCallAfterAQuestion("\"<think>\\nWhy.\\n</think>\\n{name: f}\""),
                RejectReason.MALFORMED_JSON,
                "conversations[1].value is not valid JSON");
    }

    @Test
    void openAiMessagesThroughTags() {
        Conversation c = converted(
                openAiReadme,
                "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, "
                        + "{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}");
        assertEquals(systemAndDialogue("S", "Hi", "Hello"), c.messages());
        assertNull(c.toolsJson());
    }

    @Test
    void openAiToolCallsOnAnAssistantTurn() {
        RecordConverter openAi =
                new SharegptConverter(ColumnMapping.sharegpt("messages", null, "tools"), TagMapping.openAi());
        Conversation c = converted(
                openAi,
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}, "
                        + "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"type\": \"function\", "
                        + "\"function\": {\"name\": \"w\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}}]}, "
                        + "{\"role\": \"tool\", \"content\": \"-3\"}, {\"role\": \"assistant\", \"content\": \"Cold.\"}], "
                        + "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"w\"}}]}");
        assertEquals(
                new Message(Role.ASSISTANT, "", List.of(new ToolCall("w", "\"{\\\"city\\\": \\\"Oslo\\\"}\""))),
                c.messages().get(1));
        assertEquals(Message.of(Role.TOOL, "-3"), c.messages().get(2));
        assertEquals("[{\"type\": \"function\", \"function\": {\"name\": \"w\"}}]", c.toolsJson());
    }

    @Test
    void factoryPicksSharegpt() {
        DatasetSpec spec = new DatasetSpec(
                "d",
                List.of("file:/d.jsonl"),
                FileFormat.JSONL,
                Formatting.SHAREGPT,
                SHAREGPT_COLUMNS,
                TagMapping.sharegptDefaults());
        assertEquals(
                SharegptConverter.class,
                RecordConverter.forSpec(spec, Stage.SFT).getClass());
    }

    // ---- failures ----

    @Test
    void outOfOrderTurnsAreRoleOrder() {
        failed(
                sharegpt,
                turns("human", "\"a\"", "human", "\"b\""),
                RejectReason.ROLE_ORDER,
                "conversations[1].from = \"human\" but an assistant turn",
                "alternate");
        failed(
                sharegpt,
                turns("human", "\"a\"", "gpt", "\"b\"", "gpt", "\"c\"", "human", "\"d\""),
                RejectReason.ROLE_ORDER,
                "conversations[2].from = \"gpt\" but a user turn (\"human\" or \"observation\") was expected "
                        + "(turns must alternate user/assistant");
        failed(
                sharegpt,
                turns("gpt", "\"a\"", "human", "\"b\""),
                RejectReason.ROLE_ORDER,
                "conversations[0].from = \"gpt\" but a user turn");
    }

    @Test
    void positionsCountAfterTheSystemTurn() {
        failed(
                sharegpt,
                turns("system", "\"s\"", "gpt", "\"a\""),
                RejectReason.ROLE_ORDER,
                "conversations[1].from = \"gpt\" but a user turn");
    }

    @Test
    void systemTurnLaterIsRoleOrder() {
        failed(
                sharegpt,
                turns("human", "\"a\"", "system", "\"s\""),
                RejectReason.ROLE_ORDER,
                "conversations[1].from = \"system\"",
                "only allowed as the first turn");
    }

    @Test
    void oddCountMustEndWithTheAssistant() {
        failed(
                sharegpt,
                turns("human", "\"a\"", "gpt", "\"b\"", "human", "\"c\""),
                RejectReason.ROLE_ORDER,
                "ends with conversations[2].from = \"human\"",
                "must end with an assistant turn");
    }

    @Test
    void unknownRoleNamesTheTurnAndTheKnownTags() {
        failed(
                sharegpt,
                turns("human", "\"a\"", "bot", "\"b\""),
                RejectReason.UNKNOWN_ROLE,
                "conversations[1].from = \"bot\" is not a known role",
                "\"human\", \"gpt\", \"observation\", " + "\"function_call\", \"system\"",
                "tags");
        failed(
                openAiReadme,
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, "
                        + "{\"role\": \"tool\", \"content\": \"b\"}]}",
                RejectReason.UNKNOWN_ROLE,
                "messages[1].role = \"tool\"",
                "\"user\", \"assistant\", \"system\"");
    }

    @Test
    void emptyConversations() {
        failed(sharegpt, "{\"conversations\": []}", RejectReason.EMPTY_CONVERSATION, "conversations is an empty list");
        failed(sharegpt, turns("system", "\"only\""), RejectReason.EMPTY_CONVERSATION, "only a system turn");
    }

    @Test
    void missingFields() {
        failed(sharegpt, "{\"dialogue\": []}", RejectReason.MISSING_FIELD, "conversations is missing");
        failed(
                sharegpt,
                "{\"conversations\": [{\"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}]}",
                RejectReason.MISSING_FIELD,
                "conversations[0].from is missing");
        failed(
                sharegpt,
                "{\"conversations\": [{\"from\": \"human\"}, {\"from\": \"gpt\", \"value\": \"b\"}]}",
                RejectReason.MISSING_FIELD,
                "conversations[0].value is missing");
        failed(
                sharegpt,
                functionCallAfterAQuestion("\"{\\\"name\\\": \\\"f\\\"}\""),
                RejectReason.MISSING_FIELD,
                "conversations[1].value.arguments is missing");
    }

    @Test
    void wrongTypes() {
        failed(
                sharegpt,
                "{\"conversations\": \"nope\"}",
                RejectReason.WRONG_TYPE,
                "conversations is a string (\"nope\") but a list of turns was expected");
        failed(sharegpt, "{\"conversations\": [\"hi\", \"there\"]}", RejectReason.WRONG_TYPE, "conversations[0]");
        failed(
                sharegpt,
                turns("human", "42", "gpt", "\"b\""),
                RejectReason.WRONG_TYPE,
                "conversations[0].value is a number (42)");
        failed(
                sharegpt,
                functionCallAfterAQuestion("\"[]\""),
                RejectReason.WRONG_TYPE,
                "conversations[1].value is an empty list");
        failed(
                sharegpt,
                functionCallAfterAQuestion("\"{\\\"name\\\": \\\"f\\\", \\\"arguments\\\": 3}\""),
                RejectReason.WRONG_TYPE,
                "conversations[1].value.arguments is a number");
        failed(
                sharegpt,
                functionCallAfterAQuestion("\"7\""),
                RejectReason.WRONG_TYPE,
                "conversations[1].value is a number");
    }

    @Test
    void functionCallWithBadJsonIsMalformedJsonNamingTheTurn() {
        failed(
                sharegpt,
                functionCallAfterAQuestion("\"{name: f}\""),
                RejectReason.MALFORMED_JSON,
                "conversations[1].value is not valid JSON",
                "\"name\"");
    }
}
