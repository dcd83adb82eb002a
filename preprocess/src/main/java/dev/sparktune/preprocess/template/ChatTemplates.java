package dev.sparktune.preprocess.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.api.NameSuggestion;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat templates a prep job can name: {@code auto} (the tokenizer's own Jinja {@code chat_template}) and
 * LLaMA-Factory's named templates ({@link LlamaFactoryTemplates}), which give LLaMA-Factory's input_ids and labels.
 */
public final class ChatTemplates {
    /** The configuration value that selects the tokenizer's own template. */
    public static final String AUTO = "auto";
    /** What an unknown template name is told about {@link #AUTO}, after the known names. */
    public static final String AUTO_MEANS =
            " (auto: the model's own chat template, from its tokenizer_config.json; the others: LLaMA-Factory's"
                    + " templates of that name)";
    /** The LLaMA-Factory template names SparkTune models. */
    public static final List<String> NAMED = List.copyOf(LlamaFactoryTemplates.DEFINITIONS.keySet());

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SPECIAL_TOKENS = {
        "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"
    };

    private ChatTemplates() {}

    /** {@code auto} followed by the named templates. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(AUTO);
        names.addAll(NAMED);
        return names;
    }

    /**
     * Resolves a template by name.
     *
     * @param name {@code auto} or one of {@link #NAMED}
     * @param tokenizerConfigJson the tokenizer's {@code tokenizer_config.json} text: gives {@code auto} its template and
     *     every template its special tokens (bos/eos/...); may be null for a named template (the tokens are then
     *     undefined and render as '')
     * @param enableThinking false passes {@code enable_thinking=False} to the template (Qwen3's no-think mode); for
     *     a named template, LLaMA-Factory's {@code enable_thinking} (reasoning templates only)
     * @throws PreprocessException for an unknown name (listing the known ones and the closest), or {@code auto}
     *     with a tokenizer that has no chat template
     * @throws TemplateException if the template does not parse
     */
    public static ChatTemplate resolve(String name, String tokenizerConfigJson, boolean enableThinking) {
        return resolve(name, tokenizerConfigJson, enableThinking, LocalDate.now());
    }

    /**
     * {@link #resolve(String, String, boolean)} with the date a named template's llama3 tool format writes into the
     * system message, which LLaMA-Factory takes from the clock ({@code datetime.now()}): the other form takes today.
     */
    public static ChatTemplate resolve(
            String name, String tokenizerConfigJson, boolean enableThinking, LocalDate today) {
        if (name == null || !(name.equals(AUTO) || NAMED.contains(name))) {
            throw new PreprocessException("unknown chat template '" + name + "': known templates are " + names()
                    + AUTO_MEANS
                    + (name == null ? "" : "; did you mean '" + NameSuggestion.closest(name, names()) + "'?"));
        }
        JsonNode config = parseConfig(tokenizerConfigJson);
        Map<String, String> tokens = specialTokens(config);
        if (name.equals(AUTO)) {
            String source = autoTemplate(config);
            return new JinjaChatTemplate(AUTO, source, tokens, enableThinking);
        }
        Map<LlamaFactoryTemplate.Special, String> specials = new EnumMap<>(LlamaFactoryTemplate.Special.class);
        if (tokens.containsKey("bos_token")) {
            specials.put(LlamaFactoryTemplate.Special.BOS, tokens.get("bos_token"));
        }
        if (tokens.containsKey("eos_token")) {
            specials.put(LlamaFactoryTemplate.Special.EOS, tokens.get("eos_token"));
        }
        return new LlamaFactoryTemplate(LlamaFactoryTemplates.DEFINITIONS.get(name), enableThinking, specials, today);
    }

    private static JsonNode parseConfig(String tokenizerConfigJson) {
        if (tokenizerConfigJson == null) {
            return null;
        }
        try {
            return JSON.readTree(tokenizerConfigJson);
        } catch (IOException e) {
            throw new PreprocessException("tokenizer_config.json is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String autoTemplate(JsonNode config) {
        JsonNode t = config == null ? null : config.get("chat_template");
        if (t != null && t.isTextual()) {
            return t.textValue();
        }
        if (t != null && t.isArray()) {
            List<String> available = new ArrayList<>();
            for (JsonNode entry : t) {
                String entryName = entry.path("name").asText();
                available.add(entryName);
                if (entryName.equals("default") && entry.path("template").isTextual()) {
                    return entry.path("template").textValue();
                }
            }
            throw new PreprocessException("template = auto: the tokenizer's chat_template list has no 'default' "
                    + "entry (it has " + available + "); set template to one of " + NAMED);
        }
        throw new PreprocessException("template = auto, but the tokenizer has no chat_template in "
                + "tokenizer_config.json (a separate chat_template.jinja is not read); set template to one of "
                + NAMED);
    }

    /** The non-null named special tokens, as {@code tokenizer.special_tokens_map} gives them (AddedToken dicts too). */
    static Map<String, String> specialTokens(JsonNode config) {
        Map<String, String> tokens = new LinkedHashMap<>();
        if (config == null) {
            return tokens;
        }
        for (String key : SPECIAL_TOKENS) {
            JsonNode v = config.get(key);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isTextual()) {
                tokens.put(key, v.textValue());
            } else if (v.isObject() && v.path("content").isTextual()) {
                tokens.put(key, v.path("content").textValue());
            }
        }
        return tokens;
    }
}
