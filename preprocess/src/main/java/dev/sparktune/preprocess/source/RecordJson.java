package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.conversation.ToolCall;
import dev.sparktune.preprocess.reject.RejectReason;
import dev.sparktune.preprocess.template.jinja.JinjaTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Typed access to a record's JSON fields for the converters; every problem is a {@link RecordRejected}. */
final class RecordJson {
    /** For whole records: text after the value is an error. */
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** For streaming a file value by value, where more values follow. */
    static final ObjectMapper STREAMING = new ObjectMapper();

    private static final int MAX_SHOWN = 60;

    private RecordJson() {}

    /** The record's top-level object. */
    static ObjectNode parseRecord(String text) throws RecordRejected {
        JsonNode node = parse(text, "record", "a JSON object");
        if (node == null || !node.isObject()) {
            throw new RecordRejected(
                    RejectReason.WRONG_TYPE, "record is " + describe(node) + " but a JSON object was expected");
        }
        return (ObjectNode) node;
    }

    private static JsonNode parse(String text, String path, String expected) throws RecordRejected {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new RecordRejected(
                        RejectReason.MALFORMED_JSON, path + " is empty but " + expected + " was expected");
            }
            return node;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + " column " + at.getColumnNr();
            throw new RecordRejected(
                    RejectReason.MALFORMED_JSON,
                    path + " is not valid JSON" + where + ": " + firstLine(e.getOriginalMessage()) + "; expected "
                            + expected);
        }
    }

    /** A string field that may be absent or null (then {@code null}); {@code key == null} means not mapped. */
    static String optionalString(JsonNode object, String key, String path) throws RecordRejected {
        if (key == null) {
            return null;
        }
        JsonNode v = object.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(path, v, "a string");
        }
        return v.textValue();
    }

    /** A string field that must be present and non-null. */
    static String requiredString(JsonNode object, String key, String path, String what) throws RecordRejected {
        JsonNode v = object.get(key);
        if (v == null || v.isNull()) {
            throw missing(path, what + " as a string");
        }
        if (!v.isTextual()) {
            throw wrongType(path, v, "a string (" + what + ")");
        }
        return v.textValue();
    }

    static RecordRejected missing(String path, String expected) {
        return new RecordRejected(RejectReason.MISSING_FIELD, path + " is missing or null; expected " + expected);
    }

    static RecordRejected wrongType(String path, JsonNode actual, String expected) {
        return new RecordRejected(
                RejectReason.WRONG_TYPE, path + " is " + describe(actual) + " but " + expected + " was expected");
    }

    /**
     * The tools column as the text LLaMA-Factory hands its templates, or {@code null} when absent, null or blank: a
     * string as it is (phi4_mini writes it verbatim; an empty list {@code []} still writes the system slot), a JSON
     * value as {@code json.dumps(value, ensure_ascii=False)} writes it (LLaMA-Factory's OpenAI converter). Either
     * must be a list of tool definition objects or one such object, taken as the one-tool list (LLaMA-Factory's tool
     * formatter crashes on it; a crash is no behaviour to keep): a string then in brackets.
     */
    static String toolsJson(ObjectNode record, String column) throws RecordRejected {
        if (column == null) {
            return null;
        }
        JsonNode v = record.get(column);
        if (v == null || v.isNull()) {
            return null;
        }
        JsonNode tools = v;
        if (v.isTextual()) {
            if (v.textValue().isBlank()) {
                return null;
            }
            tools = parse(v.textValue(), column, "a JSON array of tool (function) definitions");
        }
        JsonNode list = tools.isObject() ? JSON.createArrayNode().add(tools) : tools;
        if (!list.isArray()) {
            throw wrongType(column, tools, "a JSON array of tool (function) definitions");
        }
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).isObject()) {
                throw wrongType(column + "[" + i + "]", list.get(i), "a tool definition object");
            }
        }
        // the text in brackets: what phi4_mini, which writes the text as it is, shows for the one-tool list
        if (v.isTextual()) {
            return tools.isObject() ? "[" + v.textValue() + "]" : v.textValue();
        }
        return JinjaTemplate.pythonJsonDumps(JinjaTemplate.valueOf(list));
    }

    /**
     * The calls of a sharegpt function_call turn: {@code {"name": ..., "arguments": {...}}} or a list of them, as
     * a JSON value or as text holding one. OpenAI {@code tool_calls} entries ({@code {"type": "function",
     * "function": {...}}}) are accepted too. {@code arguments} may be an object or a string holding one (OpenAI's
     * wire form), kept as that string ({@link ToolCall}).
     */
    static List<ToolCall> toolCalls(JsonNode value, String path) throws RecordRejected {
        String expected = "{\"name\": ..., \"arguments\": {...}} or a list of them";
        if (value == null || value.isNull()) {
            throw missing(path, expected);
        }
        JsonNode calls = value;
        if (value.isTextual()) {
            calls = parse(value.textValue(), path, expected);
        }
        List<ToolCall> out = new ArrayList<>();
        if (calls.isObject()) {
            out.add(toolCall(calls, path));
        } else if (calls.isArray()) {
            if (calls.isEmpty()) {
                throw new RecordRejected(
                        RejectReason.WRONG_TYPE, path + " is an empty list but " + expected + " was expected");
            }
            for (int i = 0; i < calls.size(); i++) {
                out.add(toolCall(calls.get(i), path + "[" + i + "]"));
            }
        } else {
            throw wrongType(path, calls, expected);
        }
        return out;
    }

    private static ToolCall toolCall(JsonNode call, String path) throws RecordRejected {
        if (!call.isObject()) {
            throw wrongType(path, call, "a call object {\"name\": ..., \"arguments\": {...}}");
        }
        if (call.get("function") != null && call.get("function").isObject() && !call.has("name")) {
            path = path + ".function";
            call = call.get("function");
        }
        String name = requiredString(call, "name", path + ".name", "the function name");
        if (name.isBlank()) {
            throw new RecordRejected(RejectReason.MISSING_FIELD, path + ".name is empty; expected the function name");
        }
        JsonNode args = call.get("arguments");
        String argsPath = path + ".arguments";
        if (args == null || args.isNull()) {
            throw missing(argsPath, "the arguments object (use {} for none)");
        }
        // a string must hold an arguments object, but stays a string: LLaMA-Factory's templates write it quoted
        // (json.dumps of the value), and the tokenizer's own template gets it as the record has it
        JsonNode object = args.isTextual() ? parse(args.textValue(), argsPath, "an arguments object") : args;
        if (!object.isObject()) {
            throw wrongType(argsPath, args, "an arguments object");
        }
        return new ToolCall(name, args.toString());
    }

    /** "a number (42)", "a JSON array ([1,2])": the JSON type and a short rendering of the value. */
    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "absent";
        }
        String type = switch (node.getNodeType()) {
            case ARRAY -> "a JSON array";
            case OBJECT -> "a JSON object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "a " + node.getNodeType().toString().toLowerCase(Locale.ROOT);
        };
        if (node.isNull()) {
            return type;
        }
        String shown = node.toString();
        if (shown.length() > MAX_SHOWN) {
            shown = shown.substring(0, MAX_SHOWN) + "...";
        }
        return type + " (" + shown + ")";
    }

    /** The first line of a parser message, without Jackson's "[Source: REDACTED ...; " noise. */
    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.replaceAll("\\[Source: [^;\\]]*; ", "[");
    }

    /** Quoted for messages: {@code "gpt"}. */
    static String quote(String s) {
        return s == null ? "null" : JSON.getNodeFactory().textNode(s).toString();
    }
}
