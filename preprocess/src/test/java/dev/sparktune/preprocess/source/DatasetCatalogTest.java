package dev.sparktune.preprocess.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.api.Stage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetCatalogTest {
    private static final Configuration CONF = new Configuration();

    static String fixtureDir() {
        try {
            return Path.of(DatasetCatalogTest.class
                            .getResource("/datasets/source/dataset_info.json")
                            .toURI())
                    .getParent()
                    .toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DatasetSpec resolveOne(String name, Stage stage) {
        List<DatasetSpec> specs = DatasetCatalog.resolve(List.of(name), fixtureDir(), stage, CONF);
        assertEquals(1, specs.size());
        return specs.get(0);
    }

    private static void assertContains(String haystack, String... needles) {
        for (String needle : needles) {
            assertTrue(haystack.contains(needle), () -> "<" + needle + "> not in: " + haystack);
        }
    }

    @Test
    void alpacaEntryWithColumns() {
        DatasetSpec spec = resolveOne("alpaca_demo", Stage.SFT);
        assertEquals("alpaca_demo", spec.name());
        assertEquals(FileFormat.JSON_ARRAY, spec.format());
        assertEquals(Formatting.ALPACA, spec.formatting());
        assertEquals(ColumnMapping.alpaca("instruction", "input", "output", "history", "system", null), spec.columns());
        assertEquals(1, spec.files().size());
        assertTrue(
                spec.files().get(0).startsWith("file:/") && spec.files().get(0).endsWith("/alpaca_demo.json"),
                spec.files().get(0));
    }

    @Test
    void entryWithoutColumnsGetsLlamaFactoryDefaults() {
        assertEquals(
                ColumnMapping.defaults(),
                resolveOne("alpaca_defaults", Stage.SFT).columns());
        assertEquals(Formatting.SHAREGPT, resolveOne("folder_ds", Stage.SFT).formatting());
        assertEquals(
                TagMapping.sharegptDefaults(),
                resolveOne("folder_ds", Stage.SFT).tags());
    }

    @Test
    void columnsNotNamedAreUnset() {
        assertEquals(
                ColumnMapping.alpaca("question", null, "answer", null, null, null),
                resolveOne("mapped_alpaca", Stage.SFT).columns());
    }

    @Test
    void openAiEntryTagsAsInTheLlamaFactoryReadme() {
        DatasetSpec spec = resolveOne("openai_demo", Stage.SFT);
        assertEquals(Formatting.SHAREGPT, spec.formatting());
        assertEquals(FileFormat.JSONL, spec.format());
        assertEquals("messages", spec.columns().messages());
        assertEquals(new TagMapping("role", "content", "user", "assistant", null, null, "system"), spec.tags());
    }

    @Test
    void folderListsDataFilesSortedAndSkipsMarkers() {
        DatasetSpec spec = resolveOne("folder_ds", Stage.SFT);
        assertEquals(
                List.of("part-00000.jsonl", "part-00001.jsonl"),
                spec.files().stream()
                        .map(f -> f.substring(f.lastIndexOf('/') + 1))
                        .collect(Collectors.toList()));
    }

    @Test
    void ptUsesColumnsPromptAsTheTextColumn() {
        DatasetSpec spec = resolveOne("pt_demo", Stage.PT);
        assertEquals(ColumnMapping.text("text"), spec.columns());
    }

    @Test
    void unknownNameListsKnownNamesAndSuggestsTheClosest() {
        DatasetException.UnknownDataset e = assertThrows(
                DatasetException.UnknownDataset.class,
                () -> DatasetCatalog.resolve(List.of("alpaca_dem"), fixtureDir(), Stage.SFT, CONF));
        assertEquals("alpaca_demo", e.closestMatch());
        assertTrue(e.knownNames().contains("openai_demo"));
        assertContains(
                e.getMessage(),
                "dataset 'alpaca_dem' is not defined",
                "dataset_info.json",
                "Known datasets: alpaca_demo, alpaca_defaults",
                "Did you mean 'alpaca_demo'?");
        assertEquals("alpaca_dem", e.dataset());
    }

    @Test
    void unknownNameWithoutCatalog(@TempDir Path dir) {
        DatasetException.UnknownDataset e = assertThrows(
                DatasetException.UnknownDataset.class,
                () -> DatasetCatalog.resolve(List.of("x"), dir.toString(), Stage.SFT, CONF));
        assertContains(e.getMessage(), "there is no", "dataset_info.json");
        assertEquals(null, e.closestMatch());
    }

    @Test
    void missingFileNamesThePath() {
        DatasetException.MissingFile e = assertThrows(
                DatasetException.MissingFile.class,
                () -> DatasetCatalog.resolve(List.of("missing_file_ds"), fixtureDir(), Stage.SFT, CONF));
        assertTrue(e.path().endsWith("does_not_exist.jsonl"), e.path());
        assertContains(e.getMessage(), "missing_file_ds", "does_not_exist.jsonl", "does not exist");
    }

    @Test
    void unsupportedEntriesAreRefusedWithTheKey() {
        DatasetException.InvalidEntry hub =
                assertThrows(DatasetException.InvalidEntry.class, () -> resolveOne("hub_ds", Stage.SFT));
        assertEquals("hf_hub_url", hub.key());
        assertContains(hub.getMessage(), "hub_ds", "hf_hub_url", "file_name");
        DatasetException.InvalidEntry images =
                assertThrows(DatasetException.InvalidEntry.class, () -> resolveOne("images_ds", Stage.SFT));
        assertEquals("columns.images", images.key());
    }

    @Test
    void rankingDatasetsAreForStageDpoAndOnlyThey() {
        DatasetSpec pairs = resolveOne("pref_ds", Stage.DPO);
        assertTrue(pairs.ranking());
        assertEquals("chosen", pairs.columns().chosen());
        assertEquals("rejected", pairs.columns().rejected());
        DatasetException.InvalidEntry sft =
                assertThrows(DatasetException.InvalidEntry.class, () -> resolveOne("pref_ds", Stage.SFT));
        assertEquals("ranking", sft.key());
        assertContains(sft.getMessage(), "pref_ds", "data.stage = dpo");
        DatasetException.InvalidEntry notRanking =
                assertThrows(DatasetException.InvalidEntry.class, () -> resolveOne("alpaca_demo", Stage.DPO));
        assertContains(notRanking.getMessage(), "alpaca_demo", "ranking: true");
        DatasetException.InvalidEntry path = assertThrows(
                DatasetException.InvalidEntry.class,
                () -> DatasetCatalog.resolve(List.of("alpaca_demo.json"), fixtureDir(), Stage.DPO, CONF));
        assertContains(path.getMessage(), "dataset_info.json", "ranking: true");
    }

    @Test
    void sharegptCannotPretrain() {
        DatasetException.InvalidEntry e =
                assertThrows(DatasetException.InvalidEntry.class, () -> resolveOne("sharegpt_demo", Stage.PT));
        assertContains(e.getMessage(), "sharegpt", "stage pt");
    }

    @Test
    void directPathsAreSniffed() {
        DatasetSpec sharegpt = resolveOne("sharegpt_demo.jsonl", Stage.SFT);
        assertEquals("sharegpt_demo.jsonl", sharegpt.name());
        assertEquals(Formatting.SHAREGPT, sharegpt.formatting());
        assertEquals(TagMapping.sharegptDefaults(), sharegpt.tags());
        assertEquals("conversations", sharegpt.columns().messages());

        DatasetSpec openAi = resolveOne("openai_demo.jsonl", Stage.SFT);
        assertEquals(TagMapping.openAi(), openAi.tags());
        assertEquals("messages", openAi.columns().messages());

        DatasetSpec alpaca = resolveOne(fixtureDir() + "/alpaca_demo.json", Stage.SFT);
        assertEquals(Formatting.ALPACA, alpaca.formatting());
        assertEquals(FileFormat.JSON_ARRAY, alpaca.format());
        assertEquals("history", alpaca.columns().history());

        DatasetSpec text = resolveOne("pt_demo.jsonl", Stage.PT);
        assertEquals(ColumnMapping.text("text"), text.columns());
    }

    @Test
    void jsonExtensionHoldingLinesIsJsonl(@TempDir Path dir) throws IOException {
        Files.writeString(
                dir.resolve("lines.json"),
                "\uFEFF  {\"instruction\": \"a\", \"output\": \"b\"}\n"
                        + "{\"instruction\": \"c\", \"output\": \"d\"}\n");
        DatasetSpec spec = DatasetCatalog.resolve(List.of("lines.json"), dir.toString(), Stage.SFT, CONF)
                .get(0);
        assertEquals(FileFormat.JSONL, spec.format());
        assertEquals(Formatting.ALPACA, spec.formatting());
    }

    @Test
    void aBrokenFirstLineDoesNotHideTheFormatting(@TempDir Path dir) throws IOException {
        Files.writeString(
                dir.resolve("chat.jsonl"),
                "{\"conversations\": [\n\n" + "{\"conversations\": [{\"role\": \"user\", \"content\": \"a\"}]}\n");
        DatasetSpec spec = DatasetCatalog.resolve(List.of("chat.jsonl"), dir.toString(), Stage.SFT, CONF)
                .get(0);
        assertEquals(Formatting.SHAREGPT, spec.formatting());
        assertEquals("conversations", spec.columns().messages());
        assertEquals("role", spec.tags().roleTag());
    }

    @Test
    void unsniffableAndUnsupportedFiles(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("odd.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
        DatasetException.InvalidEntry sniff = assertThrows(
                DatasetException.InvalidEntry.class,
                () -> DatasetCatalog.resolve(List.of("odd.jsonl"), dir.toString(), Stage.SFT, CONF));
        assertContains(sniff.getMessage(), "odd.jsonl", "[prompt, completion]", "conversations", "instruction");

        Files.writeString(dir.resolve("data.csv"), "a,b\n");
        DatasetException.InvalidEntry csv = assertThrows(
                DatasetException.InvalidEntry.class,
                () -> DatasetCatalog.resolve(List.of("data.csv"), dir.toString(), Stage.SFT, CONF));
        assertContains(csv.getMessage(), "data.csv", ".jsonl", ".parquet");

        Files.writeString(dir.resolve("broken.parquet"), "not parquet at all");
        DatasetException.InvalidEntry parquet = assertThrows(
                DatasetException.InvalidEntry.class,
                () -> DatasetCatalog.resolve(List.of("broken.parquet"), dir.toString(), Stage.SFT, CONF));
        assertContains(parquet.getMessage(), "broken.parquet", "is not a readable Parquet file");

        Path mixed = Files.createDirectory(dir.resolve("mixed"));
        Files.writeString(mixed.resolve("a.jsonl"), "{\"instruction\": \"a\", \"output\": \"b\"}\n");
        Files.writeString(mixed.resolve("b.json"), "[{\"instruction\": \"a\", \"output\": \"b\"}]");
        DatasetException.InvalidEntry mix = assertThrows(
                DatasetException.InvalidEntry.class,
                () -> DatasetCatalog.resolve(List.of("mixed"), dir.toString(), Stage.SFT, CONF));
        assertContains(mix.getMessage(), "mixes file formats");

        Path empty = Files.createDirectory(dir.resolve("empty"));
        Files.writeString(empty.resolve("_SUCCESS"), "");
        assertThrows(
                DatasetException.MissingFile.class,
                () -> DatasetCatalog.resolve(List.of("empty"), dir.toString(), Stage.SFT, CONF));
    }

    @Test
    void sameFileNameInTwoFoldersKeepsNamesDistinct(@TempDir Path dir) throws IOException {
        for (String sub : List.of("a", "b")) {
            Files.createDirectory(dir.resolve(sub));
            Files.writeString(dir.resolve(sub).resolve("train.jsonl"), "{\"instruction\": \"x\", \"output\": \"y\"}\n");
        }
        List<DatasetSpec> specs =
                DatasetCatalog.resolve(List.of("a/train.jsonl", "b/train.jsonl"), dir.toString(), Stage.SFT, CONF);
        assertEquals(
                List.of("train.jsonl", "b/train.jsonl"),
                specs.stream().map(DatasetSpec::name).toList());
    }

    @Test
    void aDatasetListedTwiceIsRefused() {
        DatasetException.InvalidEntry e = assertThrows(
                DatasetException.InvalidEntry.class,
                () -> DatasetCatalog.resolve(
                        List.of("alpaca_demo", "openai_demo", "alpaca_demo"), fixtureDir(), Stage.SFT, CONF));
        assertContains(e.getMessage(), "alpaca_demo", "listed twice");
    }
}
