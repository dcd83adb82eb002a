package dev.sparktune.preprocess.encode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.preprocess.LocalSparkTestBase;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.api.LabelOptions;
import dev.sparktune.preprocess.api.OverlongPolicy;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.reject.Reject;
import dev.sparktune.preprocess.reject.RejectReason;
import dev.sparktune.preprocess.source.AlpacaConverter;
import dev.sparktune.preprocess.source.ColumnMapping;
import dev.sparktune.preprocess.source.RecordConverter;
import dev.sparktune.preprocess.source.SharegptConverter;
import dev.sparktune.preprocess.source.SourceRecord;
import dev.sparktune.preprocess.source.TagMapping;
import dev.sparktune.preprocess.template.ChatTemplate;
import dev.sparktune.preprocess.template.ChatTemplates;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate;
import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Named templates are LLaMA-Factory's: for every case of {@code scripts/goldens/llamafactory_templates.py} (a
 * template, a record, label options), prep's encoding (converter, template, tokenizer, labels; packing off) gives
 * the input_ids and labels LLaMA-Factory's own supervised processor gave (for a preference record, stage dpo, its
 * pairwise processor: the chosen document then the rejected one, as a pair's row holds them), token for token, against the goldens in
 * the repository (which record the LLaMA-Factory version they come from). The script is not re-run here, unlike the
 * other goldens' scripts: it imports LLaMA-Factory from a source tree, which the build cannot reach (not in the wheel
 * store, not on Maven Central) and the repository does not carry; regenerate the goldens with it after changing a
 * template or a record (docs/developing.md). A case LLaMA-Factory refuses (its error recorded instead of ids) must be
 * rejected by prep with LLaMA-Factory's reason in the message; one it crashes on (its crash recorded: qwen3_5's calls
 * on arguments given as a string) must be rejected by prep as a template error, in prep's words.
 */
class LlamaFactoryTemplateParityTest extends LocalSparkTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOLDENS = "preprocess/src/test/resources/goldens/llamafactory_templates.json";
    private static final Path QWEN3 = RepoPaths.resolve("assets/tokenizers/qwen3");
    private static final String DATASET = "golden";

    @TestFactory
    List<DynamicTest> checkedInGoldensMatch() throws IOException {
        return tests(JSON.readTree(RepoPaths.resolve(GOLDENS).toFile()));
    }

    /** LLaMA-Factory's get_template_and_fix_tokenizer refuses train_on_prompt with efficient_eos: prep too, by name. */
    @Test
    void efficientEosTemplatesRefuseTrainOnPrompt() throws IOException {
        JsonNode goldens = JSON.readTree(RepoPaths.resolve(GOLDENS).toFile());
        TokenizerFiles gemma = tokenizer(goldens.get("tokenizers").get("gemma"));
        Broadcast<TokenizerFiles> broadcast =
                JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(gemma);
        LabelOptions trainOnPrompt = new LabelOptions(1024, true, false, OverlongPolicy.TRUNCATE);
        PreprocessException e = assertThrows(
                PreprocessException.class,
                () -> new DocumentEncoder(
                        Map.of(DATASET, converter("sharegpt", false)),
                        Map.of(DATASET, "/"),
                        ChatTemplates.resolve("gemma2", gemma.tokenizerConfigJson(), true),
                        broadcast,
                        gemma.specialTokens(),
                        Stage.SFT,
                        trainOnPrompt,
                        0L));
        assertTrue(
                e.getMessage().contains("template 'gemma2' has LLaMA-Factory's efficient_eos")
                        && e.getMessage().contains("set data.train_on_prompt = false"),
                e.getMessage());
    }

    private List<DynamicTest> tests(JsonNode goldens) throws IOException {
        Map<String, TokenizerFiles> tokenizers = new HashMap<>();
        goldens.get("tokenizers").fields().forEachRemaining(e -> tokenizers.put(e.getKey(), tokenizer(e.getValue())));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Map<String, Broadcast<TokenizerFiles>> broadcasts = new HashMap<>();
        tokenizers.forEach((k, v) -> broadcasts.put(k, jsc.broadcast(v)));
        // the special tokens per tokenizer and the eos a case's template makes (replace_eos), as PrepJob takes them,
        // from one parse of each tokenizer.json (a second each)
        Map<String, Set<Optional<String>>> eosByTokenizer = new HashMap<>();
        for (JsonNode c : goldens.get("cases")) {
            eosByTokenizer
                    .computeIfAbsent(c.get("tokenizer").asText(), k -> new HashSet<>())
                    .add(eosToken(ChatTemplates.resolve(c.get("template").asText(), null, true)));
        }
        Map<String, SpecialTokens> specials = new HashMap<>();
        for (Map.Entry<String, Set<Optional<String>>> e : eosByTokenizer.entrySet()) {
            TokenizerFiles files = tokenizers.get(e.getKey());
            JsonNode config = JSON.readTree(files.tokenizerConfigJson());
            JsonNode tokenizerJson = JSON.readTree(files.tokenizerJson());
            for (Optional<String> eos : e.getValue()) {
                specials.put(e.getKey() + eos, SpecialTokens.from(config, tokenizerJson, eos));
            }
        }
        // the date LLaMA-Factory's clock read, which the llama3 tool format writes
        LocalDate today = LocalDate.parse(goldens.get("today").asText());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : goldens.get("cases")) {
            String variant = c.get("tokenizer").asText();
            JsonNode record = goldens.get("records").get(c.get("record").asText());
            tests.add(DynamicTest.dynamicTest(
                    c.get("name").asText(),
                    () -> assertCase(c, record, tokenizers.get(variant), broadcasts.get(variant), specials, today)));
        }
        assertTrue(tests.size() > 100, "the goldens hold " + tests.size() + " cases");
        return tests;
    }

    private static void assertCase(
            JsonNode c,
            JsonNode record,
            TokenizerFiles tokenizer,
            Broadcast<TokenizerFiles> broadcast,
            Map<String, SpecialTokens> specials,
            LocalDate today) {
        boolean preference = c.get("stage").asText().equals("dpo");
        ChatTemplate template = ChatTemplates.resolve(
                c.get("template").asText(),
                tokenizer.tokenizerConfigJson(),
                c.get("enable_thinking").asBoolean(),
                today);
        SpecialTokens special = specials.get(c.get("tokenizer").asText() + eosToken(template));
        DocumentEncoder encoder = new DocumentEncoder(
                Map.of(DATASET, converter(record.get("formatting").asText(), preference)),
                Map.of(DATASET, "/"),
                template,
                broadcast,
                special,
                preference ? Stage.DPO : Stage.SFT,
                new LabelOptions(
                        c.get("cutoff_len").asInt(),
                        c.get("train_on_prompt").asBoolean(),
                        c.get("mask_history").asBoolean(),
                        OverlongPolicy.TRUNCATE),
                0L);
        SourceRecord source = SourceRecord.of(
                DATASET, "/golden.jsonl", 1, record.get("record").toString());
        EncodeOutcome outcome = encoder.encode(List.of(source).iterator()).next();
        if (c.has("crash")) {
            // LLaMA-Factory crashed (no message of its own to match): prep refuses the record as a template error
            Reject reject = assertInstanceOf(
                            EncodeOutcome.Rejected.class, outcome, () -> c.get("name") + ": " + outcome)
                    .reject();
            assertEquals(RejectReason.TEMPLATE_ERROR, reject.reason(), c.get("name") + ": " + reject);
            return;
        }
        if (c.has("error")) {
            // LLaMA-Factory raised: the record is rejected, saying why in LLaMA-Factory's words
            Reject reject = assertInstanceOf(
                            EncodeOutcome.Rejected.class, outcome, () -> c.get("name") + ": " + outcome)
                    .reject();
            assertEquals(RejectReason.TEMPLATE_ERROR, reject.reason(), c.get("name") + ": " + reject);
            assertTrue(reject.message().contains(c.get("error").asText()), c.get("name") + ": " + reject.message());
            return;
        }
        EncodedDocument doc = assertInstanceOf(
                        EncodeOutcome.Accepted.class, outcome, () -> c.get("name") + ": " + outcome)
                .document();
        assertArrayEquals(ints(c.get("input_ids")), doc.inputIds(), c.get("name") + ": input_ids");
        assertArrayEquals(ints(c.get("labels")), doc.labels(), c.get("name") + ": labels");
        if (preference) {
            assertEquals(c.get("chosen_length").asInt(), doc.chosenLength(), c.get("name") + ": chosen length");
        }
    }

    /** The eos as LLaMA-Factory's get_template_and_fix_tokenizer leaves it for the template (sft and dpo). */
    private static Optional<String> eosToken(ChatTemplate template) {
        return ((LlamaFactoryTemplate) template).eosToken(false);
    }

    /** The columns the script's DatasetAttr names; a preference record's chosen and rejected too (ranking). */
    private static RecordConverter converter(String formatting, boolean ranking) {
        String chosen = ranking ? "chosen" : null;
        String rejected = ranking ? "rejected" : null;
        return switch (formatting) {
            case "alpaca" ->
                new AlpacaConverter(
                        new ColumnMapping(
                                "instruction",
                                "input",
                                ranking ? null : "output",
                                "history",
                                null,
                                "system",
                                null,
                                chosen,
                                rejected),
                        ranking);
            case "sharegpt" ->
                new SharegptConverter(
                        new ColumnMapping(null, null, null, null, "conversations", "system", "tools", chosen, rejected),
                        TagMapping.sharegptDefaults(),
                        ranking);
            default -> throw new IllegalArgumentException("formatting " + formatting);
        };
    }

    /**
     * The bundled Qwen3 tokenizer with the golden's added special tokens at the golden's ids and its bos / eos, as
     * {@code tokenizer.add_special_tokens} left it in the script.
     */
    private static TokenizerFiles tokenizer(JsonNode variant) {
        try {
            ObjectNode tokenizerJson =
                    (ObjectNode) JSON.readTree(QWEN3.resolve("tokenizer.json").toFile());
            ArrayNode added = (ArrayNode) tokenizerJson.get("added_tokens");
            for (JsonNode token : variant.get("added")) {
                ObjectNode entry = added.addObject();
                entry.put("id", token.get("id").asInt());
                entry.put("content", token.get("content").asText());
                entry.put("single_word", false);
                entry.put("lstrip", false);
                entry.put("rstrip", false);
                entry.put("normalized", false);
                entry.put("special", true);
            }
            ObjectNode config = (ObjectNode)
                    JSON.readTree(QWEN3.resolve("tokenizer_config.json").toFile());
            config.set("bos_token", variant.get("bos_token"));
            config.set("eos_token", variant.get("eos_token"));
            byte[] bytes = JSON.writeValueAsBytes(tokenizerJson);
            return new TokenizerFiles(
                    bytes,
                    new String(JSON.writeValueAsBytes(config), StandardCharsets.UTF_8),
                    TokenizerFiles.sha256Hex(bytes));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled Qwen3 tokenizer at " + QWEN3, e);
        }
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false)
                .mapToInt(JsonNode::asInt)
                .toArray();
    }
}
