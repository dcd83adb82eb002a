package dev.sparktune.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparktune.testkit.RepoPaths;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/config.md's config reference is generated from reference.conf, so it cannot drift: this test regenerates it and
 * compares. On a mismatch it writes the block to pipeline/target/config-reference.md to paste between the markers.
 */
class ConfigReferenceDocTest {
    private static final String START =
            "<!-- config-reference:start (generated from reference.conf by " + "ConfigReferenceDocTest) -->";
    private static final String END = "<!-- config-reference:end -->";
    private static final Pattern SECTION = Pattern.compile("^\\s*([a-z_]+)\\s*\\{\\s*$");
    private static final Pattern KEY = Pattern.compile("^\\s*([a-z0-9_]+)\\s*=\\s*(.*)$");

    static String generate(List<String> lines) {
        StringBuilder table = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
        Deque<String> path = new ArrayDeque<>();
        String comment = null;
        for (String line : lines) {
            String stripped = line.strip();
            Matcher section = SECTION.matcher(line);
            Matcher key = KEY.matcher(line);
            if (stripped.startsWith("# ")) {
                comment = stripped.substring(2);
            } else if (section.matches()) {
                if (!section.group(1).equals("sparktune")) {
                    path.addLast(section.group(1));
                    if (section.group(1).equals("conf")) {
                        table.append("| `")
                                .append(String.join(".", path))
                                .append(".*` | | ")
                                .append(comment)
                                .append(" |\n");
                    }
                }
                comment = null;
            } else if (stripped.equals("}")) {
                path.pollLast();
            } else if (key.matches() && !path.contains("conf")) {
                String defaultValue = key.group(2).replace("${sparktune.", "${").replace("|", "\\|");
                table.append("| `")
                        .append(String.join(".", path))
                        .append('.')
                        .append(key.group(1))
                        .append("` | `")
                        .append(defaultValue)
                        .append("` | ")
                        .append(comment.replace("|", "\\|"))
                        .append(" |\n");
                comment = null;
            }
        }
        return table.toString();
    }

    @Test
    void docsConfigReferenceMatchesReferenceConf() throws IOException {
        List<String> lines;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("reference.conf")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
        }
        String expected = START + "\n" + generate(lines) + END;
        String readme = Files.readString(RepoPaths.resolve("docs/config.md"));
        int from = readme.indexOf(START);
        int to = readme.indexOf(END);
        String actual = from < 0 || to < 0 ? "(markers missing)" : readme.substring(from, to + END.length());
        if (!expected.equals(actual)) {
            Path out = RepoPaths.resolve("pipeline/target/config-reference.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, expected + "\n");
        }
        assertEquals(
                expected,
                actual,
                "docs/config.md's config reference is stale: paste pipeline/target/"
                        + "config-reference.md over the block between the config-reference markers");
    }
}
