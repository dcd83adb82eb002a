package dev.sparktune.preprocess.template;

import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.conversation.Message;
import dev.sparktune.preprocess.conversation.Role;
import java.io.Serializable;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A LLaMA-Factory named template: one {@link LlamaFactoryTemplates definition} (its slots, default system, tool
 * format and template class) and the rules with which LLaMA-Factory turns a conversation into token ids, re-created
 * from reading {@code src/llamafactory/data/template.py} and {@code formatter.py} (0.9.6.dev0), not copied.
 *
 * <p>LLaMA-Factory tokenizes each element of a formatted message on its own ({@code Template._convert_elements_to_ids})
 * and each (prompt, response) pair is the concatenation of those ids, so {@link #turns} gives the elements, not one
 * text: the prep encoder tokenizes them the same way. {@link #render} joins them into the text they spell, with the
 * response elements as the assistant spans.
 */
public final class LlamaFactoryTemplate implements ChatTemplate {
    private static final long serialVersionUID = 1L;
    private static final String CONTENT = "{{content}}";

    /** One piece of a formatted message: text tokenized on its own, or the tokenizer's bos / eos token. */
    public sealed interface Element extends Serializable permits Text, Special {}

    /** Text tokenized on its own, without special tokens added. */
    public record Text(String text) implements Element {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /** A slot holding the tokenizer's bos or eos token ({@code {"bos_token"}} in LLaMA-Factory's slots). */
    public enum Special implements Element {
        BOS,
        EOS
    }

    /** The elements of one (prompt, response) pair, as {@code Template.encode_multiturn} pairs them. */
    public record Turn(List<Element> prompt, List<Element> response) implements Serializable {
        public Turn {
            prompt = List.copyOf(prompt);
            response = List.copyOf(response);
        }
    }

    /** LLaMA-Factory's template classes that change the encoding. */
    enum Kind {
        /** {@code Template}. */
        PLAIN,
        /** {@code Llama2Template}: the system text is fused into the first user message. */
        SYSTEM_IN_FIRST_USER,
        /** {@code ReasoningTemplate}: thought handling on assistant messages. */
        REASONING
    }

    /**
     * A reasoning template's {@code thought_words}: the text around a thought; the empty thought is the two joined.
     */
    record ThoughtWords(String start, String end) implements Serializable {
        /** {@code register_template}'s default. */
        static final ThoughtWords THINK = new ThoughtWords("<think>\n", "\n</think>\n\n");

        ThoughtWords {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(end, "end");
        }
    }

    /**
     * A template's definition, as {@code register_template} declares it. Slots hold {@code {{content}}} where the
     * message text goes; {@code function} is {@code format_function}'s slots (the tool calls replace the content).
     * {@code toolSlots}: {@code format_tools} when it is a StringFormatter (phi4_mini: the tools text as the dataset
     * gives it, in these slots), null when it is the {@code ToolFormatter} of {@code toolFormat}, which also writes the
     * calls. {@code efficientEos}: the assistant slots write no eos; the processors add it after the last response
     * (see {@link #efficientEos()}). {@code replacedEos}: {@code replace_eos}'s token, the first stop word, which
     * LLaMA-Factory makes the tokenizer's eos; null without replace_eos. {@code tokens} are the special tokens its
     * slots write that every tokenizer of its model family holds as added tokens: a tokenizer without them belongs to
     * another family, whose text they would be split into.
     */
    record Definition(
            String name,
            List<Element> prefix,
            List<Element> system,
            List<Element> user,
            List<Element> assistant,
            List<Element> function,
            List<Element> observation,
            String defaultSystem,
            ToolFormat toolFormat,
            List<Element> toolSlots,
            Kind kind,
            ThoughtWords thoughtWords,
            boolean efficientEos,
            String replacedEos,
            List<String> tokens)
            implements Serializable {
        Definition {
            Objects.requireNonNull(thoughtWords, "thoughtWords");
            Objects.requireNonNull(toolFormat, "toolFormat");
            toolSlots = toolSlots == null ? null : List.copyOf(toolSlots);
            tokens = List.copyOf(tokens);
            prefix = List.copyOf(prefix);
            system = List.copyOf(system);
            user = List.copyOf(user);
            assistant = List.copyOf(assistant);
            function = List.copyOf(function);
            observation = List.copyOf(observation);
        }
    }

    private final Definition definition;
    private final boolean enableThinking;
    private final Map<Special, String> specialTexts;
    /** The date the llama3 tool format writes: LLaMA-Factory writes the day it runs. */
    private final LocalDate today;
    /** Template.remove_thought's pattern: the shortest text from the thought's start word to its end word. */
    private final Pattern thought;

    /**
     * @param specialTexts the tokenizer's bos / eos token strings, for {@link #render} only
     * @param today the date the llama3 tool format writes into the system message (LLaMA-Factory's
     *     {@code datetime.now()}, taken when the template is made so that every executor writes the same)
     */
    LlamaFactoryTemplate(
            Definition definition, boolean enableThinking, Map<Special, String> specialTexts, LocalDate today) {
        this.definition = Objects.requireNonNull(definition, "definition");
        this.enableThinking = enableThinking;
        this.specialTexts = new LinkedHashMap<>(specialTexts);
        this.today = Objects.requireNonNull(today, "today");
        ThoughtWords words = definition.thoughtWords();
        this.thought =
                Pattern.compile(Pattern.quote(words.start()) + "(.*?)" + Pattern.quote(words.end()), Pattern.DOTALL);
    }

    @Override
    public String name() {
        return definition.name();
    }

    /** The special tokens the template writes: each must be one added token of the tokenizer. */
    public List<String> requiredTokens() {
        return definition.tokens();
    }

    /**
     * {@code efficient_eos}: the labels builder appends the tokenizer's eos after the last response (labelled) and
     * labels the first prompt token of every later turn with it, as LLaMA-Factory's processors do.
     */
    public boolean efficientEos() {
        return definition.efficientEos();
    }

    /**
     * The token LLaMA-Factory makes the eos for this template, when not the tokenizer's own: for stage pt the pretrain
     * processor's (llama3: {@code <|end_of_text|>}), else {@code replace_eos}'s first stop word
     * ({@code Template.fix_special_tokens}). It is the eos the slots and efficient_eos write, pt appends after each
     * text, and generation stops at.
     */
    public Optional<String> eosToken(boolean pretraining) {
        if (pretraining && name().equals("llama3")) {
            // processor/pretrain.py: eos_token = "<|end_of_text|>" if data_args.template == "llama3" else ...
            return Optional.of("<|end_of_text|>");
        }
        return Optional.ofNullable(definition.replacedEos());
    }

    /** Whether any slot, or efficient_eos, writes the tokenizer's eos token (which then must exist). */
    public boolean writesEos() {
        return definition.efficientEos()
                || List.of(
                                definition.assistant(),
                                definition.function(),
                                definition.user(),
                                definition.observation(),
                                definition.system(),
                                definition.prefix())
                        .stream()
                        .anyMatch(slots -> slots.contains(Special.EOS));
    }

    /**
     * The conversation as LLaMA-Factory's supervised processor encodes it: {@code Template._encode} per message,
     * paired as {@code encode_multiturn} pairs them, with {@code ReasoningTemplate}'s thought rules.
     *
     * @param discardHistoryThoughts a reasoning template drops the earlier responses' thoughts and adds the empty
     *     thought to the last response only: LLaMA-Factory does so with mask_history ({@code discarding_history_cot
     *     = mask_history and not preserve_thinking}, processor/supervised.py) and for preference documents
     *     ({@code ReasoningTemplate.encode_oneturn})
     * @throws TemplateException for tools or tool calls the template's tool format cannot write (as LLaMA-Factory
     *     cannot), or messages that do not alternate prompt and response
     */
    public List<Turn> turns(Conversation conversation, boolean discardHistoryThoughts) {
        String system = "";
        List<Message> messages = conversation.messages();
        if (!messages.isEmpty() && messages.get(0).role() == Role.SYSTEM) {
            system = messages.get(0).content();
            messages = messages.subList(1, messages.size());
        }
        if (messages.isEmpty() || messages.size() % 2 != 0) {
            throw new TemplateException("template '" + name() + "' needs alternating prompt and response messages "
                    + "ending with the assistant's, got " + messages.size() + " after the system prompt");
        }
        List<String> contents = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            boolean response = i % 2 == 1;
            if (response != (m.role() == Role.ASSISTANT) || m.role() == Role.SYSTEM) {
                throw new TemplateException("template '" + name() + "': message " + i + " after the system prompt is "
                        + m.role().templateName() + ", expected " + (response ? "assistant" : "user or tool"));
            }
            contents.add(
                    m.toolCalls().isEmpty()
                            ? m.content()
                            : m.content() + definition.toolFormat().calls(m.toolCalls()));
        }
        boolean reasoning = definition.kind() == Kind.REASONING;
        if (reasoning) {
            // ReasoningTemplate.encode_multiturn: enable_thinking False removes every thought; discarding history
            // thoughts removes those of all but the last response
            for (int i = 1; i < contents.size(); i += 2) {
                if (!enableThinking || (discardHistoryThoughts && i < contents.size() - 2)) {
                    contents.set(i, removeThought(contents.get(i)));
                }
            }
        }
        List<List<Element>> encoded = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            encoded.add(encodeMessage(i, messages.get(i), contents.get(i), system, conversation));
        }
        List<Turn> turns = new ArrayList<>(messages.size() / 2);
        for (int i = 0; i < messages.size(); i += 2) {
            List<Element> prompt = new ArrayList<>(encoded.get(i));
            List<Element> response = new ArrayList<>(encoded.get(i + 1));
            boolean lastTurn = i == messages.size() - 2;
            if (reasoning && (lastTurn || !discardHistoryThoughts) && !hasThought(contents.get(i + 1))) {
                // ReasoningTemplate.encode_multiturn adds the empty thought to a response without one: outside the
                // loss (after the prompt) when thinking is off, inside it (before the response) when on
                ThoughtWords words = definition.thoughtWords();
                Text emptyThought = new Text(words.start() + words.end());
                if (enableThinking) {
                    response.add(0, emptyThought);
                } else {
                    prompt.add(emptyThought);
                }
            }
            turns.add(new Turn(prompt, response));
        }
        return turns;
    }

    /** Template._encode (Llama2Template._encode for SYSTEM_IN_FIRST_USER) for message i. */
    private List<Element> encodeMessage(int i, Message message, String content, String system, Conversation c) {
        List<Element> elements = new ArrayList<>();
        String systemText = "";
        if (i == 0) {
            elements.addAll(definition.prefix());
            String effectiveSystem = system.isEmpty() ? definition.defaultSystem() : system;
            // "if system or tools": a tools text, even "[]", writes the system slot
            boolean hasTools = c.toolsJson() != null && !c.toolsJson().isEmpty();
            if (!effectiveSystem.isEmpty() || hasTools) {
                String withTools = effectiveSystem + (hasTools ? toolText(c.toolsJson()) : "");
                if (definition.kind() == Kind.SYSTEM_IN_FIRST_USER) {
                    systemText = ((Text) apply(definition.system(), withTools).get(0)).text();
                } else {
                    elements.addAll(apply(definition.system(), withTools));
                }
            }
        }
        List<Element> slots = switch (message.role()) {
            case USER -> definition.user();
            case TOOL -> definition.observation();
            case ASSISTANT -> message.toolCalls().isEmpty() ? definition.assistant() : definition.function();
            case SYSTEM -> throw new IllegalStateException("checked by the caller");
        };
        elements.addAll(apply(slots, message.role() == Role.USER ? systemText + content : content));
        return elements;
    }

    /** StringFormatter.apply: each text slot with its first {@code {{content}}} replaced. */
    private static List<Element> apply(List<Element> slots, String content) {
        List<Element> out = new ArrayList<>(slots.size());
        for (Element slot : slots) {
            if (slot instanceof Text t) {
                int at = t.text().indexOf(CONTENT);
                out.add(
                        at < 0
                                ? t
                                : new Text(t.text().substring(0, at)
                                        + content
                                        + t.text().substring(at + CONTENT.length())));
            } else {
                out.add(slot);
            }
        }
        return out;
    }

    /** Template.remove_thought: every thought block removed, then leading newlines. */
    private String removeThought(String content) {
        return stripLeadingNewlines(thought.matcher(content).replaceAll(""));
    }

    /** ReasoningTemplate's test for a response that carries its own thought: either word, stripped, in it. */
    private boolean hasThought(String content) {
        ThoughtWords words = definition.thoughtWords();
        return content.contains(words.start().strip())
                || content.contains(words.end().strip());
    }

    private static String stripLeadingNewlines(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '\n') {
            i++;
        }
        return s.substring(i);
    }

    /**
     * {@code format_tools.apply(content=tools)[0]}: the tools text in the template's tool slots, or its tool
     * format's definitions ("" for an empty list). A single tool object is taken as a one-tool list.
     */
    private String toolText(String toolsJson) {
        if (definition.toolSlots() != null) {
            return ((Text) apply(definition.toolSlots(), toolsJson).get(0)).text();
        }
        Object parsed = JinjaChatTemplate.parseJson(toolsJson, "tools");
        List<?> tools = parsed instanceof Map<?, ?> one ? List.of(one) : parsed instanceof List<?> l ? l : null;
        if (tools == null) {
            throw new TemplateException("tools must be a JSON array of tool definitions, got " + toolsJson);
        }
        List<Map<?, ?>> definitions = new ArrayList<>(tools.size());
        for (int i = 0; i < tools.size(); i++) {
            if (!(tools.get(i) instanceof Map<?, ?> tool)) {
                throw new TemplateException("tools[" + i + "] is not a tool definition object: " + tools.get(i));
            }
            definitions.add(tool);
        }
        return definitions.isEmpty() ? "" : definition.toolFormat().definitions(definitions, today);
    }

    /**
     * The text the elements spell (bos / eos as the tokenizer's token strings) with each response as an assistant
     * span. Tokenizing this text whole can differ from LLaMA-Factory's ids where a token would cross two elements:
     * prep tokenizes {@link #turns} instead.
     */
    @Override
    public RenderedConversation render(Conversation conversation) {
        StringBuilder text = new StringBuilder();
        List<TextSpan> spans = new ArrayList<>();
        for (Turn turn : turns(conversation, false)) {
            append(text, turn.prompt());
            int start = text.length();
            append(text, turn.response());
            spans.add(new TextSpan(start, text.length()));
        }
        return new RenderedConversation(text.toString(), spans);
    }

    private void append(StringBuilder text, List<Element> elements) {
        for (Element e : elements) {
            text.append(e instanceof Text t ? t.text() : specialTexts.getOrDefault((Special) e, ""));
        }
    }
}
