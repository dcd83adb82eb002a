package dev.sparktune.preprocess.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.TestPrepConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Prep's rules are PrepConfig's alone (the HOCON reader only parses types and reports what the builder throws under
 * its own key paths): every broken rule comes back at once, each under the key it is about, a value out of its range
 * with what the key allows.
 */
class PrepConfigTest {
    private static PrepConfig.Builder valid() {
        return TestPrepConfig.of(Path.of("/data"), Path.of("/out"), "alpaca_demo");
    }

    private static Map<String, SettingProblems.Problem> problems(PrepConfig.Builder builder) {
        PrepConfigException e = assertThrows(PrepConfigException.class, builder::build);
        return e.problems().stream().collect(Collectors.toMap(SettingProblems.Problem::key, p -> p));
    }

    @Test
    void everyValueOutsideItsRangeIsReportedWithWhatIsAllowed() {
        Map<String, SettingProblems.Problem> p =
                problems(valid().cutoffLen(1).maxSamples(-1).valSize(1.5).partitions(-2));
        assertEquals(
                Map.of(
                        "data.cutoff_len", "invalid value 1; allowed: a whole number >= 2",
                        "data.max_samples", "invalid value -1; allowed: a whole number >= 0",
                        "data.val_size",
                                "invalid value 1.5; allowed: a fraction in [0, 1), a whole document count >= 1, or 0 "
                                        + "for none",
                        "prep.partitions", "invalid value -2; allowed: a whole number >= 0"),
                p.values().stream()
                        .collect(Collectors.toMap(SettingProblems.Problem::key, SettingProblems.Problem::message)));
        assertEquals("a whole number >= 2", p.get("data.cutoff_len").allowed(), "what a reader words its value with");
        for (double bad : new double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertEquals(
                    List.of("data.val_size"),
                    List.copyOf(problems(valid().valSize(bad)).keySet()),
                    "" + bad);
        }
        // the edges: a 2-token document, every record, a fraction just below 1 or a whole document count, auto
        PrepConfig edges =
                valid().cutoffLen(2).maxSamples(0).valSize(0.99).partitions(0).build();
        assertEquals(2, edges.labels().cutoffLen());
        assertEquals(0.99, edges.split().valSize());
        assertEquals(100, valid().valSize(100).build().split().valSize());
    }

    @Test
    void theRulesBetweenKeysAndTheRequiredInputsGoUnderTheirKeys() {
        Map<String, SettingProblems.Problem> p = problems(PrepConfig.builder()
                .datasets(List.of())
                .datasetDir(" ")
                .trainOnPrompt(true)
                .maskHistory(true)
                .outputs(PrepConfig.Outputs.beside("")));
        assertEquals(
                List.of(
                        "data.dataset",
                        "data.dataset_dir",
                        "data.mask_history",
                        "model.model_name_or_path",
                        "prep.output_table"),
                p.keySet().stream().sorted().toList(),
                p.toString());
        assertTrue(p.get("data.mask_history").message().contains("data.train_on_prompt = true"), p.toString());
        assertTrue(p.values().stream().allMatch(problem -> problem.allowed() == null), "none is a value's range");
        PrepConfigException e = assertThrows(
                PrepConfigException.class, () -> PrepConfig.builder().build());
        assertTrue(
                e.getMessage().startsWith("data.dataset: needs at least one dataset name or path; "), e.getMessage());
    }
}
