package dev.sparktune.preprocess.encode;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Special token ids of a tokenizer ({@code -1} where the tokenizer has none) and its vocabulary size
 * (base vocabulary plus added tokens, i.e. the highest id + 1).
 */
public record SpecialTokens(int bosId, int eosId, int padId, String eosToken, int vocabSize) implements Serializable {

    /** @param eosToken the eos when not tokenizer_config.json's (a template's, see TokenizerFiles) */
    static SpecialTokens from(JsonNode tokenizerConfig, JsonNode tokenizerJson, Optional<String> eosToken) {
        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        for (var it = tokenizerJson.path("model").path("vocab").fields(); it.hasNext(); ) {
            var entry = it.next();
            maxId = Math.max(maxId, entry.getValue().asInt());
            ids.put(entry.getKey(), entry.getValue().asInt());
        }
        for (JsonNode added : tokenizerJson.path("added_tokens")) {
            maxId = Math.max(maxId, added.path("id").asInt());
            ids.put(added.path("content").asText(), added.path("id").asInt());
        }
        String eos = eosToken.orElseGet(() -> tokenName(tokenizerConfig.get("eos_token")));
        return new SpecialTokens(
                idOf(ids, tokenName(tokenizerConfig.get("bos_token"))),
                idOf(ids, eos),
                idOf(ids, tokenName(tokenizerConfig.get("pad_token"))),
                eos,
                maxId + 1);
    }

    /** tokenizer_config.json gives a special token as a string or as an AddedToken object {content: ...}. */
    static String tokenName(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return node.isTextual() ? node.asText() : node.path("content").asText(null);
    }

    private static int idOf(Map<String, Integer> ids, String token) {
        return token == null ? -1 : ids.getOrDefault(token, -1);
    }
}
