package dev.sparktune.preprocess.template;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import dev.sparktune.preprocess.conversation.ToolCall;
import dev.sparktune.preprocess.template.jinja.JinjaTemplate;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ChatTemplate} backed by a Jinja chat template, rendered with the variables transformers'
 * {@code apply_chat_template(messages, tools=..., tokenize=False)} passes: {@code messages}, {@code tools} (None when
 * the conversation has none), {@code documents} (None), {@code add_generation_prompt}, the tokenizer's non-null
 * special tokens, and {@code enable_thinking=False} when thinking is disabled.
 *
 * <p>Assistant spans: if the template has {@code {% generation %}} blocks, they are the spans. Otherwise the
 * interpreter tags each output char with the message whose {@code for} iteration wrote it (see
 * {@link JinjaTemplate#renderTracked}); assistant message k owns the contiguous range {@code [s, e)}. The span starts
 * where the generation prompt ends: with {@code P = render(messages[:k], add_generation_prompt=True)}, if the full
 * text starts with {@code P} and {@code s <= |P| <= e}, the span is {@code [|P|, e)}; otherwise the turn header
 * {@code H = P - render(messages[:k], add_generation_prompt=False)} must begin the range and the span is
 * {@code [s + |H|, e)}. Failing that (a template that renders a turn differently once later turns follow, as Qwen3
 * drops the empty think block of earlier turns), the header is what the template writes before message k's content
 * in the full conversation, found by rendering it with k's content replaced by a probe string. Anything else is a
 * {@link TemplateException} naming the turn: the labels are never guessed.
 *
 * <p>Serializable (shipped to executors); the parsed template is cached per JVM and never serialized.
 */
final class JinjaChatTemplate implements ChatTemplate {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, JinjaTemplate> PARSED = new ConcurrentHashMap<>();

    private final String name;
    private final String source;
    private final Map<String, String> specialTokens;
    private final boolean enableThinking;
    private transient volatile JinjaTemplate parsed;

    JinjaChatTemplate(String name, String source, Map<String, String> specialTokens, boolean enableThinking) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.specialTokens = new LinkedHashMap<>(specialTokens);
        this.enableThinking = enableThinking;
        template(); // fail fast on a syntax error, on the driver
    }

    @Override
    public String name() {
        return name;
    }

    /** The Jinja source this template renders. */
    String source() {
        return source;
    }

    JinjaTemplate template() {
        JinjaTemplate t = parsed;
        if (t == null) {
            t = PARSED.computeIfAbsent(name + '\0' + source, k -> JinjaTemplate.parse(name, source));
            parsed = t;
        }
        return t;
    }

    /** The template's variables for {@code messages} as transformers builds them. */
    Map<String, Object> context(List<Map<String, Object>> messages, Object tools, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new LinkedHashMap<>(specialTokens);
        ctx.put("messages", messages);
        ctx.put("tools", tools);
        ctx.put("documents", null);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        if (!enableThinking) {
            ctx.put("enable_thinking", false);
        }
        return ctx;
    }

    /** Renders messages as-is (no span search); for previews, goldens and the generation-prompt probes. */
    String renderText(Conversation conversation, boolean addGenerationPrompt) {
        return template().render(context(messages(conversation), tools(conversation), addGenerationPrompt));
    }

    @Override
    public RenderedConversation render(Conversation conversation) {
        JinjaTemplate t = template();
        List<Map<String, Object>> messages = messages(conversation);
        Object tools = tools(conversation);
        JinjaTemplate.Rendering r = t.renderTracked(context(messages, tools, false), messages);
        List<Integer> assistants = new ArrayList<>();
        for (int i = 0; i < conversation.messages().size(); i++) {
            if (conversation.messages().get(i).role() == Role.ASSISTANT) {
                assistants.add(i);
            }
        }
        if (t.hasGenerationBlocks()) {
            if (r.generationSpans().size() != assistants.size()) {
                throw new TemplateException("template '" + name + "' rendered "
                        + r.generationSpans().size() + " {% generation %} blocks for " + assistants.size()
                        + " assistant messages");
            }
            return new RenderedConversation(r.text(), r.generationSpans());
        }
        List<TextSpan> spans = new ArrayList<>();
        for (int k : assistants) {
            spans.add(locate(t, r, messages, tools, k));
        }
        return new RenderedConversation(r.text(), spans);
    }

    private TextSpan locate(
            JinjaTemplate t, JinjaTemplate.Rendering r, List<Map<String, Object>> messages, Object tools, int k) {
        int[] owners = r.owners();
        int s = -1;
        int e = -1;
        for (int i = 0; i < owners.length; i++) {
            if (owners[i] == k) {
                if (s < 0) {
                    s = i;
                } else if (e != i) {
                    throw cannotPlace(k, "its text is split in several places of the output");
                }
                e = i + 1;
            }
        }
        if (s < 0) {
            throw cannotPlace(k, "no text was written while a loop over messages was at this message");
        }
        List<Map<String, Object>> prefix = new ArrayList<>(messages.subList(0, k));
        String withPrompt;
        String withoutPrompt;
        try {
            withPrompt = t.render(context(prefix, tools, true));
            if (r.text().startsWith(withPrompt) && withPrompt.length() >= s && withPrompt.length() <= e) {
                return new TextSpan(withPrompt.length(), e);
            }
            withoutPrompt = t.render(context(prefix, tools, false));
        } catch (TemplateException ex) {
            throw new TemplateException(
                    "template '" + name + "': cannot place assistant message " + k + ": rendering messages[:" + k
                            + "] failed: " + ex.getMessage(),
                    ex);
        }
        if (!withPrompt.startsWith(withoutPrompt)) {
            throw cannotPlace(k, "the generation prompt is not a suffix of the render of messages[:" + k + "]");
        }
        String header = withPrompt.substring(withoutPrompt.length());
        if (r.text().startsWith(header, s) && s + header.length() <= e) {
            return new TextSpan(s + header.length(), e);
        }
        // The template renders this turn differently once later turns follow (Qwen3 drops the empty think block of
        // earlier turns): take the header this very turn is written with, found by rendering a probe content.
        String probeHeader = probeHeader(t, messages, tools, k);
        if (probeHeader != null && r.text().startsWith(probeHeader, s) && s + probeHeader.length() <= e) {
            return new TextSpan(s + probeHeader.length(), e);
        }
        throw cannotPlace(
                k,
                "its text does not start with the turn header " + quote(header) + " but with "
                        + quote(r.text().substring(s, Math.min(e, s + Math.max(header.length(), 20)))));
    }

    /**
     * The text this template writes for message k before its content, in the full conversation: message k's content
     * is replaced by a probe string and the text of its iteration before the probe is returned (null if the probe
     * does not appear in that iteration).
     */
    private String probeHeader(JinjaTemplate t, List<Map<String, Object>> messages, Object tools, int k) {
        String probe = "SparkTuneSpanProbe7f3a9c";
        List<Map<String, Object>> probed = new ArrayList<>(messages);
        Map<String, Object> replaced = new LinkedHashMap<>(messages.get(k));
        replaced.put("content", probe);
        probed.set(k, replaced);
        JinjaTemplate.Rendering r;
        try {
            r = t.renderTracked(context(probed, tools, false), probed);
        } catch (TemplateException ex) {
            return null;
        }
        int s = -1;
        for (int i = 0; i < r.owners().length; i++) {
            if (r.owners()[i] == k) {
                s = i;
                break;
            }
        }
        int at = s < 0 ? -1 : r.text().indexOf(probe, s);
        if (at < 0 || r.owners()[at] != k) {
            return null;
        }
        return r.text().substring(s, at);
    }

    private TemplateException cannotPlace(int k, String why) {
        return new TemplateException("template '" + name + "': cannot place assistant message " + k + ": " + why);
    }

    private static String quote(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }

    // ---------------------------------------------------------------- conversation -> template values

    static List<Map<String, Object>> messages(Conversation conversation) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Message m : conversation.messages()) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role().templateName());
            msg.put("content", m.content());
            if (!m.toolCalls().isEmpty()) {
                List<Object> calls = new ArrayList<>();
                for (ToolCall call : m.toolCalls()) {
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", call.name());
                    function.put("arguments", parseJson(call.argumentsJson(), "arguments of tool call " + call.name()));
                    Map<String, Object> wrapper = new LinkedHashMap<>();
                    wrapper.put("type", "function");
                    wrapper.put("function", function);
                    calls.add(wrapper);
                }
                msg.put("tool_calls", calls);
            }
            out.add(msg);
        }
        return out;
    }

    /** The tools as a list (a single tool object as a one-tool list); null for none or an empty list. */
    static Object tools(Conversation conversation) {
        if (conversation.toolsJson() == null) {
            return null;
        }
        Object tools = parseJson(conversation.toolsJson(), "tools");
        if (tools instanceof Map<?, ?> one) {
            return List.of(one);
        }
        if (!(tools instanceof List<?> list)) {
            throw new TemplateException(
                    "tools must be a JSON array of tool definitions, got: " + abbreviate(conversation.toolsJson()));
        }
        return list.isEmpty() ? null : list;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    static Object parseJson(String json, String what) {
        try {
            return JinjaTemplate.valueOf(JSON.readTree(json));
        } catch (IOException e) {
            throw new TemplateException("invalid JSON in " + what + ": " + e.getMessage(), e);
        }
    }
}
