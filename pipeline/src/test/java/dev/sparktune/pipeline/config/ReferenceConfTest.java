package dev.sparktune.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** reference.conf is the config reference: every key documented in the regular format, and every key used. */
class ReferenceConfTest {
    private static final Pattern KEY_LINE = Pattern.compile("^\\s*([a-z0-9_]+)\\s*(=|\\{)");

    private static List<String> lines() throws IOException {
        try (InputStream in = ReferenceConfTest.class.getClassLoader().getResourceAsStream("reference.conf")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    private static KeyCatalog catalog() {
        return new KeyCatalog(ConfigFactory.parseResources("reference.conf").root());
    }

    @Test
    void everyKeyAndSectionHasExactlyOneOneLineCommentRightAboveIt() throws IOException {
        List<String> lines = lines();
        List<String> keys = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            Matcher key = KEY_LINE.matcher(lines.get(i));
            if (!key.find() || key.group(1).equals("sparktune")) {
                continue;
            }
            keys.add(key.group(1));
            String above = lines.get(i - 1).strip();
            assertTrue(above.startsWith("# ") && above.length() > 10, "no doc line above: " + lines.get(i));
            if (i >= 2) {
                assertFalse(lines.get(i - 2).strip().startsWith("#"), "doc of " + key.group(1) + " is not one line");
            }
        }
        long leafCount = catalog().leaves().size();
        assertEquals(
                leafCount + 11,
                keys.size(),
                "leaves + sections model, init_model, synthetic_data, data, prep, "
                        + "train, export, eval, run, spark, conf: " + keys);
    }

    @Test
    void everyKeyIsReadAndValidatedNoDeadKeys() {
        for (String leaf : catalog().leaves()) {
            String key = leaf.substring("sparktune.".length());
            ConfigException e = Assertions.assertThrows(
                    ConfigException.class,
                    () -> SparkTuneConfig.load(
                            new ConfigSources(Optional.empty(), List.of(key + "={x=1}")), Verb.INSPECT),
                    key + " accepted an object: is it read at all?");
            assertEquals(
                    List.of(leaf),
                    e.problems().stream().map(ConfigProblem::keyPath).toList(),
                    e.getMessage());
        }
    }
}
