package dev.sparktune.preprocess.template;

import static dev.sparktune.preprocess.template.jinja.JinjaTemplate.pythonJsonDumps;
import static dev.sparktune.preprocess.template.jinja.JinjaTemplate.pythonStr;
import static dev.sparktune.preprocess.template.jinja.JinjaTemplate.pythonTruthy;

import dev.sparktune.preprocess.conversation.ToolCall;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * LLaMA-Factory's tool formats ({@code TOOLS} in {@code src/llamafactory/data/tool_utils.py}, 0.9.6.dev0) that the
 * named templates use, re-created from reading them: how the tool definitions are written after the system text
 * ({@code tool_formatter}) and how an assistant's tool calls are written ({@code function_formatter}). A template
 * without its own {@code tool_format} has {@link #DEFAULT} (register_template's default). What LLaMA-Factory cannot
 * write (it raises) is refused here with a {@link TemplateException} saying why; values are written as Python writes
 * them ({@code json.dumps(..., ensure_ascii=False)}, {@code str()} in {@code str.format}).
 */
enum ToolFormat {
    /** {@code DefaultToolUtils}: a text list of the tools and their arguments; calls as Action / Action Input. */
    DEFAULT {
        @Override
        String definitions(List<Map<?, ?>> tools, LocalDate today) {
            StringBuilder toolText = new StringBuilder();
            StringJoiner names = new StringJoiner(", ");
            for (int i = 0; i < tools.size(); i++) {
                Map<?, ?> tool = unwrapped(tools.get(i), i, "default");
                Object parameters = tool.get("parameters");
                Object properties = parameters instanceof Map<?, ?> p ? p.get("properties") : null;
                if (!(properties instanceof Map<?, ?> byName)) {
                    throw refused(
                            "default", i, "has no parameters.properties object, which the default tool format lists");
                }
                StringBuilder args = new StringBuilder();
                for (Map.Entry<?, ?> property : byName.entrySet()) {
                    String name = (String) property.getKey();
                    if (!(property.getValue() instanceof Map<?, ?> param)) {
                        throw refused("default", i, "parameter " + name + " is not an object");
                    }
                    args.append("  - ")
                            .append(name)
                            .append(" (")
                            .append(pythonStr(param.containsKey("type") ? param.get("type") : ""))
                            .append(isRequired(name, (Map<?, ?>) parameters, i) ? ", required" : "")
                            .append("): ")
                            .append(pythonStr(param.containsKey("description") ? param.get("description") : ""))
                            .append(enumText(param.get("enum"), i, name))
                            .append(itemsText(param.get("items"), i, name))
                            .append('\n');
                }
                if (!(tool.get("name") instanceof String name)) {
                    throw refused("default", i, "has no name string");
                }
                toolText.append("> Tool Name: ")
                        .append(name)
                        .append("\nTool Description: ")
                        .append(pythonStr(tool.containsKey("description") ? tool.get("description") : ""))
                        .append("\nTool Args:\n")
                        .append(args)
                        .append('\n');
                names.add(name);
            }
            return "You have access to the following tools:\n" + toolText
                    + "Use the following format if using a tool:\n```\nAction: tool name (one of [" + names
                    + "])\nAction Input: the input to the tool, in a JSON format representing the kwargs "
                    + "(e.g. ```{\"input\": \"hello world\", \"num_beams\": 5}```)\n```\n";
        }

        @Override
        String calls(List<ToolCall> calls) {
            return lines(
                    calls, call -> "Action: " + call.name() + "\nAction Input: " + pythonJsonDumps(arguments(call)));
        }
    },

    /** {@code GLM4ToolUtils}: each tool under a heading as indented JSON, in ChatGLM's Chinese system prompt. */
    GLM4 {
        @Override
        String definitions(List<Map<?, ?>> tools, LocalDate today) {
            StringBuilder toolText = new StringBuilder();
            for (int i = 0; i < tools.size(); i++) {
                Map<?, ?> tool = unwrapped(tools.get(i), i, "glm4");
                if (!tool.containsKey("name")) {
                    throw refused("glm4", i, "has no name");
                }
                toolText.append("\n\n## ")
                        .append(pythonStr(tool.get("name")))
                        .append("\n\n")
                        .append(pythonJsonDumps(tool, 4))
                        .append("\n在调用上述函数时，请使用 Json 格式表示调用的参数。");
            }
            return "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱 AI 公司训练的语言模型 GLM-4 模型开发的，" + "你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具"
                    + toolText;
        }

        @Override
        String calls(List<ToolCall> calls) {
            if (calls.size() > 1) {
                // LLaMA-Factory raises "GLM-4 does not support parallel functions."
                throw new TemplateException("the glm4 tool format writes one tool call per assistant turn "
                        + "(LLaMA-Factory: \"GLM-4 does not support parallel functions.\"), got " + calls.size()
                        + " calls: split them into turns or use another template");
            }
            return calls.get(0).name() + "\n" + pythonJsonDumps(arguments(calls.get(0)));
        }
    },

    /** {@code Llama3ToolUtils}: the JSON-based tool calling prompt of Llama 3.1 with today's date. */
    LLAMA3 {
        /** {@code datetime.now().strftime("%d %b %Y")}. */
        private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH);

        @Override
        String definitions(List<Map<?, ?>> tools, LocalDate today) {
            StringBuilder toolText = new StringBuilder();
            for (Map<?, ?> tool : tools) {
                toolText.append(pythonJsonDumps(wrapped(tool), 4)).append("\n\n");
            }
            return "Cutting Knowledge Date: December 2023\nToday Date: " + DAY.format(today) + "\n\n"
                    + "You have access to the following functions. To call a function, please respond with JSON for "
                    + "a function call. Respond in the format {\"name\": function name, \"parameters\": dictionary "
                    + "of argument name and its value}. Do not use variables.\n\n" + toolText;
        }

        @Override
        String calls(List<ToolCall> calls) {
            List<Object> objects = new ArrayList<>();
            for (ToolCall call : calls) {
                Map<String, Object> object = new LinkedHashMap<>();
                object.put("name", call.name());
                object.put("parameters", arguments(call));
                objects.add(object);
            }
            return pythonJsonDumps(objects.size() == 1 ? objects.get(0) : objects);
        }
    },

    /** {@code MistralToolUtils}: the tools as one JSON list in [AVAILABLE_TOOLS]; the calls as one JSON list. */
    MISTRAL {
        @Override
        String definitions(List<Map<?, ?>> tools, LocalDate today) {
            List<Object> wrapped = new ArrayList<>();
            for (Map<?, ?> tool : tools) {
                wrapped.add(wrapped(tool));
            }
            return "[AVAILABLE_TOOLS] " + pythonJsonDumps(wrapped) + "[/AVAILABLE_TOOLS]";
        }

        @Override
        String calls(List<ToolCall> calls) {
            List<Object> objects = new ArrayList<>();
            for (ToolCall call : calls) {
                objects.add(nameAndArguments(call));
            }
            return pythonJsonDumps(objects);
        }
    },

    /** {@code QwenToolUtils}: the tools as JSON lines in {@code <tools>}; each call as JSON in tool_call tags. */
    QWEN {
        @Override
        String definitions(List<Map<?, ?>> tools, LocalDate today) {
            return "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                    + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                    + lines(tools, tool -> pythonJsonDumps(wrapped(tool)))
                    + "\n</tools>\n\nFor each function call, return a json object with function name and "
                    + "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": "
                    + "<function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
        }

        @Override
        String calls(List<ToolCall> calls) {
            return lines(calls, call -> "<tool_call>\n" + pythonJsonDumps(nameAndArguments(call)) + "\n</tool_call>");
        }
    },

    /** {@code Qwen35ToolUtils}: calls as {@code <function=name>} blocks, one parameter block per argument. */
    QWEN3_5 {
        @Override
        String definitions(List<Map<?, ?>> tools, LocalDate today) {
            // tool.get("function", tool): the function when wrapped, the whole tool when it has none
            String toolText = lines(
                    tools,
                    tool -> pythonJsonDumps(
                            "function".equals(tool.get("type")) && tool.containsKey("function")
                                    ? tool.get("function")
                                    : tool));
            return "\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>\n" + toolText
                    + "\n</tools>\n\nIf you choose to call a function ONLY reply in the following format with NO "
                    + "suffix:\n\n<tool_call>\n<function=example_function_name>\n"
                    + "<parameter=example_parameter_1>\nvalue_1\n</parameter>\n<parameter=example_parameter_2>\n"
                    + "This is the value for the second parameter\nthat can span\nmultiple lines\n</parameter>\n"
                    + "</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n- Function calls MUST follow the "
                    + "specified format: an inner <function=...></function> block must be nested within "
                    + "<tool_call></tool_call> XML tags\n- Required parameters MUST be specified\n- You may provide "
                    + "optional reasoning for your function call in natural language BEFORE the function call, "
                    + "but NOT after\n- If there is no function call available, answer the question like normal "
                    + "with your current knowledge and do not tell the user about function calls\n</IMPORTANT>";
        }

        @Override
        String calls(List<ToolCall> calls) {
            return lines(calls, call -> {
                if (!(arguments(call) instanceof Map<?, ?> byName)) {
                    throw new TemplateException("the arguments of tool call " + call.name() + " must be a JSON "
                            + "object for the qwen3_5 tool format, got " + call.argumentsJson());
                }
                StringBuilder block = new StringBuilder("<tool_call>\n<function=")
                        .append(call.name())
                        .append('>');
                // strings as they are, other values as JSON
                byName.forEach((key, value) -> block.append("\n<parameter=")
                        .append(key)
                        .append(">\n")
                        .append(value instanceof String s ? s : pythonJsonDumps(value))
                        .append("\n</parameter>"));
                return block.append("\n</function>\n</tool_call>").toString();
            });
        }
    };

    /**
     * {@code tool_formatter}: the text appended to the system text for a non-empty tool list.
     *
     * @param today the date {@link #LLAMA3} writes (LLaMA-Factory's {@code datetime.now()})
     */
    abstract String definitions(List<Map<?, ?>> tools, LocalDate today);

    /** {@code function_formatter}: one assistant turn's calls (one or more). */
    abstract String calls(List<ToolCall> calls);

    /** Each item's text, one per line ({@code "\n".join(...)}), as most formats write tools and calls. */
    private static <T> String lines(List<T> items, Function<T, String> text) {
        StringJoiner lines = new StringJoiner("\n");
        items.forEach(item -> lines.add(text.apply(item)));
        return lines.toString();
    }

    /** The call's arguments as {@code json.loads} gives them. */
    private static Object arguments(ToolCall call) {
        return JinjaChatTemplate.parseJson(call.argumentsJson(), "arguments of tool call " + call.name());
    }

    private static Map<String, Object> nameAndArguments(ToolCall call) {
        Map<String, Object> named = new LinkedHashMap<>();
        named.put("name", call.name());
        named.put("arguments", arguments(call));
        return named;
    }

    /** A tool as {@code {"type": "function", "function": tool}} unless it already is one. */
    private static Map<?, ?> wrapped(Map<?, ?> tool) {
        if ("function".equals(tool.get("type"))) {
            return tool;
        }
        Map<String, Object> wrapper = new LinkedHashMap<>();
        wrapper.put("type", "function");
        wrapper.put("function", tool);
        return wrapper;
    }

    /**
     * The function of a {@code {"type": "function", ...}} tool ({@code tool.get("function", "")}), other tools as
     * they are.
     */
    private static Map<?, ?> unwrapped(Map<?, ?> tool, int index, String format) {
        if (!"function".equals(tool.get("type"))) {
            return tool;
        }
        if (!(tool.get("function") instanceof Map<?, ?> function)) {
            throw refused(format, index, "has type \"function\" but no \"function\" object");
        }
        return function;
    }

    /** {@code name in parameters.get("required", [])}: list membership, or a substring of a string. */
    private static boolean isRequired(String name, Map<?, ?> parameters, int index) {
        if (!parameters.containsKey("required")) {
            return false;
        }
        Object required = parameters.get("required");
        if (required instanceof List<?> list) {
            return list.contains(name);
        }
        if (required instanceof String text) {
            return text.contains(name);
        }
        if (required instanceof Map<?, ?> keys) {
            return keys.containsKey(name);
        }
        throw refused("default", index, "has a \"required\" that is neither a list nor a string");
    }

    /** {@code ", should be one of [a, b]"} for a non-empty enum ({@code ", ".join(enum)}: strings only). */
    private static String enumText(Object values, int index, String parameter) {
        if (!pythonTruthy(values)) {
            return "";
        }
        List<String> texts = new ArrayList<>();
        if (values instanceof String text) {
            text.codePoints().forEach(cp -> texts.add(Character.toString(cp)));
        } else if (values instanceof Map<?, ?> keys) {
            keys.keySet().forEach(k -> texts.add((String) k));
        } else if (values instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            list.forEach(v -> texts.add((String) v));
        } else {
            throw refused(
                    "default",
                    index,
                    "parameter " + parameter + " has an enum of other values than strings, which the default "
                            + "tool format joins as text (LLaMA-Factory fails on it)");
        }
        return ", should be one of [" + String.join(", ", texts) + "]";
    }

    /** {@code ", where each item should be <type>"} for a non-empty items object. */
    private static String itemsText(Object items, int index, String parameter) {
        if (!pythonTruthy(items)) {
            return "";
        }
        if (!(items instanceof Map<?, ?> schema)) {
            throw refused("default", index, "parameter " + parameter + " has items that are not an object");
        }
        return ", where each item should be " + pythonStr(schema.containsKey("type") ? schema.get("type") : "");
    }

    /** What LLaMA-Factory's {@code format} tool format raises on (a KeyError, TypeError, ...), said plainly. */
    private static TemplateException refused(String format, int index, String why) {
        return new TemplateException("tools[" + index + "] " + why + " (LLaMA-Factory's " + format
                + " tool format cannot write it): fix " + "the record's tools or use template = auto");
    }
}
