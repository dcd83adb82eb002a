package dev.sparktune.pipeline.config;

import dev.sparktune.preprocess.api.NameSuggestion;
import java.util.Collection;
import java.util.Optional;

/** Suggests the known key a mistyped or misplaced key was most likely meant to be. */
final class ClosestKey {
    private ClosestKey() {}

    /**
     * The known key closest to {@code key}, or empty when nothing is close. In order: the same last segment in
     * another section ({@code prep.cutoff_len} → {@code data.cutoff_len}); a single edit; a last segment that is a
     * prefix of the other's, the longest such ({@code qwen3_nothink} → {@code qwen3}, {@code data.cutoff} →
     * {@code data.cutoff_len}); else the smallest edit distance if at most a third of the key's length (at least 2).
     */
    static Optional<String> among(String key, Collection<String> known) {
        String leaf = leaf(key);
        String prefixMatch = null;
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        for (String candidate : known) {
            String candidateLeaf = leaf(candidate);
            if (candidate.equals(key)) {
                continue;
            }
            if (candidateLeaf.equals(leaf)) {
                return Optional.of(candidate);
            }
            String shorter = candidateLeaf.length() < leaf.length() ? candidateLeaf : leaf;
            String longer = shorter == candidateLeaf ? leaf : candidateLeaf;
            if (shorter.length() >= 4
                    && longer.toLowerCase().startsWith(shorter.toLowerCase())
                    && (prefixMatch == null
                            || candidateLeaf.length() > leaf(prefixMatch).length())) {
                prefixMatch = candidate;
            }
            int score = Math.min(editDistance(key, candidate), editDistance(leaf, candidateLeaf) + 1);
            if (score < bestScore) {
                bestScore = score;
                best = candidate;
            }
        }
        int allowed = Math.max(2, leaf.length() / 3);
        if (best != null && bestScore <= 1) {
            return Optional.of(best);
        }
        if (prefixMatch != null) {
            return Optional.of(prefixMatch);
        }
        return best != null && bestScore <= allowed ? Optional.of(best) : Optional.empty();
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    static int editDistance(String a, String b) {
        return NameSuggestion.editDistance(a, b);
    }
}
