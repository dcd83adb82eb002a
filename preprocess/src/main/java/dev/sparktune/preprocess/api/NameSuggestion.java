package dev.sparktune.preprocess.api;

import java.util.Collection;

/**
 * "Did you mean ...?" for names a user typed (datasets, templates, config keys): case-insensitive edit distance
 * with adjacent transpositions (optimal string alignment), so {@code qwne3} is one edit from {@code qwen3}.
 */
public final class NameSuggestion {
    private NameSuggestion() {}

    /** The known name nearest to {@code name}, or {@code null} when there are none. */
    public static String closest(String name, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = editDistance(name, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return best;
    }

    /** Case-insensitive optimal-string-alignment distance. */
    public static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = same(a.charAt(i - 1), b.charAt(j - 1)) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1
                        && j > 1
                        && same(a.charAt(i - 1), b.charAt(j - 2))
                        && same(a.charAt(i - 2), b.charAt(j - 1))) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static boolean same(char x, char y) {
        return Character.toLowerCase(x) == Character.toLowerCase(y);
    }
}
