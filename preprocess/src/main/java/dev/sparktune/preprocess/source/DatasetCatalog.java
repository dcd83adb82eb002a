package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.api.NameSuggestion;
import dev.sparktune.preprocess.api.Stage;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.Type;

/**
 * Turns the {@code data.dataset} names of a job into {@link DatasetSpec}s, reading LLaMA-Factory's
 * {@code dataset_info.json} as it is (LLaMA-Factory {@code src/llamafactory/data/parser.py}).
 *
 * <p>A name is first looked up as a key of {@code <datasetDir>/dataset_info.json}; otherwise it is a file or folder
 * path, absolute (any Hadoop URI) or relative to {@code datasetDir}. A folder stands for all its {@code .json},
 * {@code .jsonl} and {@code .parquet} files (sorted by name; names starting with {@code .} or {@code _} are
 * skipped, any other extension is an error). For a direct path the formatting is sniffed from the first record:
 * {@code conversations} or {@code messages} means sharegpt (tags from the first turn: {@code from/value} or
 * {@code role/content}), {@code instruction} alpaca (for JSON lines, the first line holding an object among the
 * first 100 is used); the conventional {@code system}, {@code tools} and
 * {@code history} columns are then read too. With {@code stage=pt} a direct path reads its {@code text} column.
 *
 * <p>dataset_info.json entries follow LLaMA-Factory: {@code formatting} defaults to alpaca; an entry with
 * {@code columns} (or {@code tags}) leaves every column (tag) it does not name unset; for pt the text column is
 * {@code columns.prompt} (LLaMA-Factory's data/README.md) or {@code text} when not named. Entries that load from
 * a hub or script, KTO data, multimodal columns, {@code num_samples} and non-{@code train} splits are refused with a
 * message saying what to do. Preference ({@code ranking: true}) entries, with their {@code chosen} and
 * {@code rejected} columns, are what {@code stage=dpo} reads, and only it. All IO goes through Hadoop
 * {@link FileSystem}.
 */
public final class DatasetCatalog {
    /** The catalog file LLaMA-Factory keeps in its dataset_dir. */
    public static final String DATASET_INFO = "dataset_info.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How many non-blank lines of a JSON-lines file are tried when sniffing the formatting. */
    private static final int SNIFF_LINES = 100;

    private static final List<String> HUB_KEYS =
            List.of("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name");
    private static final List<String> UNSUPPORTED_COLUMNS = List.of("images", "videos", "audios", "kto_tag");

    private DatasetCatalog() {}

    /**
     * Resolves every name of {@code datasets}, in order.
     *
     * @throws DatasetException.UnknownDataset a name is neither a catalog key nor an existing path (the message
     *                                         lists the known names and the closest one)
     * @throws DatasetException.MissingFile    a catalog entry's file_name does not exist, or a folder is empty
     * @throws DatasetException.InvalidEntry   an entry asks for something unsupported or inconsistent
     * @throws DatasetException                dataset_info.json or a file cannot be read
     */
    public static List<DatasetSpec> resolve(List<String> datasets, String datasetDir, Stage stage, Configuration conf) {
        if (datasets == null || datasets.isEmpty()) {
            throw new PreprocessException("data.dataset: at least one dataset is required");
        }
        if (stage == null) {
            throw new IllegalArgumentException("stage is required");
        }
        if (datasetDir == null || datasetDir.isBlank()) {
            throw new PreprocessException("data.dataset_dir is required (the folder holding " + DATASET_INFO
                    + " and relative dataset paths)");
        }
        Path dir = new Path(datasetDir);
        Path infoPath = new Path(dir, DATASET_INFO);
        JsonNode info = readInfo(infoPath, conf);
        List<DatasetSpec> specs = new ArrayList<>(datasets.size());
        for (String name : datasets) {
            if (name == null || name.isBlank()) {
                throw new PreprocessException("data.dataset: dataset names must not be blank, got " + datasets);
            }
            String trimmed = name.trim();
            if (info != null && info.has(trimmed)) {
                DatasetSpec spec = fromEntry(trimmed, info.get(trimmed), dir, stage, conf);
                if (clashes(spec, specs)) {
                    throw DatasetErrors.invalid(
                            trimmed,
                            "name",
                            "is listed twice in data.dataset, or is also the "
                                    + "file name of a dataset given by path; list each dataset once (its records would be "
                                    + "read twice under one name)");
                }
                specs.add(spec);
                continue;
            }
            Path path = pathOf(trimmed, dir);
            if (exists(trimmed, path, conf)) {
                DatasetSpec spec = fromPath(trimmed, path, stage, conf);
                if (clashes(spec, specs)) {
                    // Two direct paths with the same file name (a/train.jsonl, b/train.jsonl): records, rejects and
                    // stats are keyed by dataset name, so fall back to the path as given.
                    spec = new DatasetSpec(
                            trimmed, spec.files(), spec.format(), spec.formatting(), spec.columns(), spec.tags());
                }
                if (clashes(spec, specs)) {
                    throw DatasetErrors.invalid(
                            trimmed,
                            "name",
                            "is listed twice in data.dataset; list each "
                                    + "dataset once (its records would be read twice under one name)");
                }
                specs.add(spec);
                continue;
            }
            List<String> known = new ArrayList<>();
            if (info != null) {
                info.fieldNames().forEachRemaining(known::add);
            }
            throw DatasetErrors.unknownDataset(
                    trimmed,
                    infoPath.toString(),
                    info != null,
                    known,
                    NameSuggestion.closest(trimmed, known),
                    path.toString());
        }
        return List.copyOf(specs);
    }

    /**
     * Whether an earlier spec has this spec's name. Records, rejects and document ids are keyed by dataset name, so
     * names must be unique; listing one dataset twice (LLaMA-Factory would load it twice) is refused for the same
     * reason.
     */
    private static boolean clashes(DatasetSpec spec, List<DatasetSpec> specs) {
        for (DatasetSpec other : specs) {
            if (other.name().equals(spec.name())) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode readInfo(Path infoPath, Configuration conf) {
        try {
            FileSystem fs = infoPath.getFileSystem(conf);
            if (!fs.exists(infoPath)) {
                return null;
            }
            JsonNode node;
            try (InputStream in = fs.open(infoPath)) {
                node = JSON.readTree(in);
            }
            if (node == null || !node.isObject()) {
                throw DatasetErrors.invalid(
                        DATASET_INFO, infoPath.toString(), "must hold a JSON object of dataset name -> description");
            }
            return node;
        } catch (IOException e) {
            throw DatasetErrors.unreadable(DATASET_INFO, infoPath.toString(), e);
        }
    }

    private static Path pathOf(String name, Path dir) {
        Path p = new Path(name);
        return (p.toUri().getScheme() != null || p.isAbsolute()) ? p : new Path(dir, name);
    }

    private static boolean exists(String dataset, Path path, Configuration conf) {
        try {
            return path.getFileSystem(conf).exists(path);
        } catch (IOException e) {
            throw DatasetErrors.unreadable(dataset, path.toString(), e);
        }
    }

    // ---- dataset_info.json entries ----

    private static DatasetSpec fromEntry(String name, JsonNode entry, Path dir, Stage stage, Configuration conf) {
        if (!entry.isObject()) {
            throw DatasetErrors.invalid(name, "entry", "must be a JSON object with file_name, got " + entry);
        }
        for (String key : HUB_KEYS) {
            if (entry.hasNonNull(key)) {
                throw DatasetErrors.unsupported(
                        name,
                        key,
                        "(load_from " + key.replace("_url", "").replace("_name", "") + ")",
                        "SparkTune reads files only: download the data and set file_name to its path");
            }
        }
        boolean ranking = entry.path("ranking").asBoolean(false);
        if (ranking != (stage == Stage.DPO)) {
            throw ranking
                    ? DatasetErrors.invalid(
                            name,
                            "ranking",
                            "= true: a preference dataset (chosen and rejected "
                                    + "responses) is prepared with data.stage = dpo, not "
                                    + stage.name().toLowerCase(Locale.ROOT))
                    : DatasetErrors.invalid(
                            name,
                            "ranking",
                            "is not true: data.stage = dpo reads preference "
                                    + "datasets (ranking: true, with columns chosen and rejected), as LLaMA-Factory does");
        }
        if (entry.hasNonNull("num_samples")) {
            throw DatasetErrors.unsupported(
                    name,
                    "num_samples",
                    "(random sampling with replacement)",
                    "remove it; use data.max_samples to take the first N records");
        }
        String split = textOrNull(name, entry, "split");
        if (split != null && !split.equals("train")) {
            throw DatasetErrors.unsupported(
                    name, "split", "'" + split + "'", "local files have a single 'train' split; remove the key");
        }
        String fileName = textOrNull(name, entry, "file_name");
        if (fileName == null || fileName.isEmpty()) {
            throw DatasetErrors.invalid(name, "file_name", "is required (the file or folder, relative to dataset_dir)");
        }
        String formattingName = textOrNull(name, entry, "formatting");
        Formatting formatting;
        if (formattingName == null || formattingName.equals("alpaca")) {
            formatting = Formatting.ALPACA;
        } else if (formattingName.equals("sharegpt")) {
            formatting = Formatting.SHAREGPT;
        } else {
            throw DatasetErrors.invalid(
                    name,
                    "formatting",
                    "= '" + formattingName
                            + "' is unknown; allowed: alpaca, sharegpt (OpenAI messages are sharegpt with tags)");
        }

        ColumnMapping columns = ColumnMapping.defaults();
        JsonNode columnsNode = entry.get("columns");
        if (columnsNode != null && !columnsNode.isNull()) {
            if (!columnsNode.isObject()) {
                throw DatasetErrors.invalid(name, "columns", "must be an object, got " + columnsNode);
            }
            for (String key : UNSUPPORTED_COLUMNS) {
                if (columnsNode.hasNonNull(key)) {
                    throw DatasetErrors.unsupported(
                            name,
                            "columns." + key,
                            "(multimodal or KTO data)",
                            "SparkTune prepares text data; remove the column from the entry");
                }
            }
            columns = new ColumnMapping(
                    textOrNull(name, columnsNode, "prompt"),
                    textOrNull(name, columnsNode, "query"),
                    textOrNull(name, columnsNode, "response"),
                    textOrNull(name, columnsNode, "history"),
                    textOrNull(name, columnsNode, "messages"),
                    textOrNull(name, columnsNode, "system"),
                    textOrNull(name, columnsNode, "tools"),
                    textOrNull(name, columnsNode, "chosen"),
                    textOrNull(name, columnsNode, "rejected"));
        }

        TagMapping tags = TagMapping.sharegptDefaults();
        JsonNode tagsNode = entry.get("tags");
        if (formatting == Formatting.SHAREGPT && tagsNode != null && !tagsNode.isNull()) {
            if (!tagsNode.isObject()) {
                throw DatasetErrors.invalid(name, "tags", "must be an object, got " + tagsNode);
            }
            String roleTag = textOrNull(name, tagsNode, "role_tag");
            String contentTag = textOrNull(name, tagsNode, "content_tag");
            if (roleTag == null || contentTag == null) {
                throw DatasetErrors.invalid(name, "tags", "must name role_tag and content_tag (the keys of a turn)");
            }
            tags = new TagMapping(
                    roleTag,
                    contentTag,
                    textOrNull(name, tagsNode, "user_tag"),
                    textOrNull(name, tagsNode, "assistant_tag"),
                    textOrNull(name, tagsNode, "observation_tag"),
                    textOrNull(name, tagsNode, "function_tag"),
                    textOrNull(name, tagsNode, "system_tag"));
            if (tags.userTag() == null || tags.assistantTag() == null) {
                throw DatasetErrors.invalid(name, "tags", "must name user_tag and assistant_tag");
            }
        }

        if (stage == Stage.PT) {
            if (formatting == Formatting.SHAREGPT) {
                throw DatasetErrors.invalid(
                        name,
                        "formatting",
                        "= sharegpt cannot be used for stage pt "
                                + "(pre-training reads one text column, as in LLaMA-Factory); use an alpaca entry with "
                                + "columns.prompt naming the text column");
            }
            String textColumn = columnsNode != null && columns.prompt() != null ? columns.prompt() : "text";
            columns = ColumnMapping.text(textColumn);
        } else if (ranking && (columns.chosen() == null || columns.rejected() == null)) {
            throw DatasetErrors.invalid(
                    name,
                    "columns." + (columns.chosen() == null ? "chosen" : "rejected"),
                    "is not set: a ranking dataset names the columns of the chosen and the rejected response");
        } else if (ranking && formatting == Formatting.ALPACA && columns.prompt() == null && columns.query() == null) {
            throw DatasetErrors.invalid(
                    name,
                    "columns.prompt",
                    "is not set: dpo needs the instruction column (LLaMA-Factory default: instruction)");
        } else if (formatting == Formatting.ALPACA && !ranking) {
            if (columns.response() == null) {
                throw DatasetErrors.invalid(
                        name,
                        "columns.response",
                        "is not set: sft needs the column holding the model's answer (LLaMA-Factory default: output)");
            }
            if (columns.prompt() == null && columns.query() == null) {
                throw DatasetErrors.invalid(
                        name,
                        "columns.prompt",
                        "is not set: sft needs the instruction column (LLaMA-Factory default: instruction)");
            }
        } else if (formatting == Formatting.SHAREGPT && columns.messages() == null) {
            throw DatasetErrors.invalid(
                    name,
                    "columns.messages",
                    "is not set: sharegpt needs the column holding the turns (LLaMA-Factory default: conversations)");
        }

        Path path = pathOf(fileName, dir);
        if (!exists(name, path, conf)) {
            throw DatasetErrors.missingFile(name, path.toString());
        }
        List<Path> files = listFiles(name, path, conf);
        FileFormat format = formatOf(name, files, conf);
        return new DatasetSpec(name, uris(files), format, formatting, columns, tags, ranking);
    }

    private static String textOrNull(String dataset, JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw DatasetErrors.invalid(dataset, key, "must be a string, got " + v);
        }
        return v.asText();
    }

    // ---- direct paths ----

    private static DatasetSpec fromPath(String given, Path path, Stage stage, Configuration conf) {
        if (stage == Stage.DPO) {
            throw DatasetErrors.invalid(
                    given,
                    "ranking",
                    "cannot be told from a path: data.stage = dpo reads "
                            + "preference datasets described in " + DATASET_INFO
                            + " (ranking: true, columns chosen and "
                            + "rejected), as LLaMA-Factory does");
        }
        List<Path> files = listFiles(given, path, conf);
        FileFormat format = formatOf(given, files, conf);
        String name = path.getName().isEmpty() ? given : path.getName();
        if (stage == Stage.PT) {
            return new DatasetSpec(
                    name,
                    uris(files),
                    format,
                    Formatting.ALPACA,
                    ColumnMapping.text("text"),
                    TagMapping.sharegptDefaults());
        }
        Sniffed sniffed = sniffFirstRecord(given, files.get(0), format, conf);
        Set<String> keys = sniffed.keys;
        if (keys == null) {
            // No record to look at: nothing will be converted, any formatting does.
            return new DatasetSpec(
                    name, uris(files), format, Formatting.ALPACA, alpacaForPaths(), TagMapping.sharegptDefaults());
        }
        for (String column : List.of("conversations", "messages")) {
            if (keys.contains(column)) {
                TagMapping tags = "role".equals(sniffed.firstTurnRoleKey(column))
                                || (sniffed.firstTurnRoleKey(column) == null && column.equals("messages"))
                        ? TagMapping.openAi()
                        : TagMapping.sharegptDefaults();
                ColumnMapping columns = ColumnMapping.sharegpt(column, "system", "tools");
                return new DatasetSpec(name, uris(files), format, Formatting.SHAREGPT, columns, tags);
            }
        }
        if (keys.contains("instruction")) {
            return new DatasetSpec(
                    name, uris(files), format, Formatting.ALPACA, alpacaForPaths(), TagMapping.sharegptDefaults());
        }
        throw DatasetErrors.invalid(
                given,
                "formatting",
                "cannot be told from the first record of " + files.get(0)
                        + " (keys " + keys
                        + "): expected 'conversations' or 'messages' (sharegpt/OpenAI) or 'instruction' "
                        + "(alpaca); describe the dataset in " + DATASET_INFO + " with formatting and columns");
    }

    private static ColumnMapping alpacaForPaths() {
        return ColumnMapping.alpaca("instruction", "input", "output", "history", "system", "tools");
    }

    /** The first record's top-level keys (null if the file has none), and for sniffing tags its turn lists. */
    private record Sniffed(Set<String> keys, JsonNode record) {
        String firstTurnRoleKey(String column) {
            if (record == null) {
                return null;
            }
            JsonNode first = record.path(column).path(0);
            if (first.has("role")) {
                return "role";
            }
            return first.has("from") ? "from" : null;
        }
    }

    private static Sniffed sniffFirstRecord(String dataset, Path file, FileFormat format, Configuration conf) {
        try {
            FileSystem fs = file.getFileSystem(conf);
            switch (format) {
                case PARQUET -> {
                    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
                        Set<String> keys = new LinkedHashSet<>();
                        for (Type field :
                                reader.getFooter().getFileMetaData().getSchema().getFields()) {
                            keys.add(field.getName());
                        }
                        return new Sniffed(keys, null);
                    } catch (RuntimeException e) {
                        // parquet-hadoop reports a file without a Parquet footer as a bare RuntimeException
                        throw DatasetErrors.invalid(
                                dataset,
                                "file",
                                file + " is not a readable Parquet file (" + e.getMessage() + "); fix or remove it");
                    }
                }
                case JSONL -> {
                    try (BufferedReader reader =
                            new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
                        // The first object among the first lines: one broken line should not hide the format.
                        IOException firstError = null;
                        int tried = 0;
                        for (String line = reader.readLine();
                                line != null && tried < SNIFF_LINES;
                                line = reader.readLine()) {
                            if (line.isBlank()) {
                                continue;
                            }
                            tried++;
                            try {
                                JsonNode node = JSON.readTree(stripBom(line));
                                if (node != null && node.isObject()) {
                                    return sniffedOf(node);
                                }
                            } catch (IOException e) {
                                firstError = firstError == null ? e : firstError;
                            }
                        }
                        if (firstError != null) {
                            throw firstError;
                        }
                        return new Sniffed(tried == 0 ? null : Set.of(), null);
                    }
                }
                case JSON_ARRAY -> {
                    try (JsonParser parser = JSON.createParser((InputStream) fs.open(file))) {
                        if (parser.nextToken() != JsonToken.START_ARRAY) {
                            return new Sniffed(null, null);
                        }
                        JsonToken first = parser.nextToken();
                        if (first == null || first == JsonToken.END_ARRAY) {
                            return new Sniffed(null, null);
                        }
                        return sniffedOf(parser.readValueAsTree());
                    }
                }
                default -> throw new IllegalStateException(format.toString());
            }
        } catch (IOException e) {
            throw DatasetErrors.invalid(
                    dataset,
                    "formatting",
                    "cannot be told: the first record of " + file
                            + " is not readable JSON ("
                            + e.getMessage().lines().findFirst().orElse("") + "); fix the file "
                            + "or describe the dataset in " + DATASET_INFO);
        }
    }

    private static Sniffed sniffedOf(JsonNode node) {
        if (node == null || !node.isObject()) {
            return new Sniffed(Set.of(), node);
        }
        Set<String> keys = new LinkedHashSet<>();
        node.fieldNames().forEachRemaining(keys::add);
        return new Sniffed(keys, node);
    }

    private static String stripBom(String line) {
        return line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

    // ---- files and formats ----

    private static List<Path> listFiles(String dataset, Path path, Configuration conf) {
        try {
            FileSystem fs = path.getFileSystem(conf);
            FileStatus status = fs.getFileStatus(path);
            if (status.isFile()) {
                extensionFormat(dataset, status.getPath());
                return List.of(fs.makeQualified(status.getPath()));
            }
            List<Path> files = new ArrayList<>();
            FileStatus[] children = fs.listStatus(path);
            Arrays.sort(children, Comparator.comparing(s -> s.getPath().getName()));
            for (FileStatus child : children) {
                String childName = child.getPath().getName();
                if (!child.isFile() || childName.startsWith(".") || childName.startsWith("_")) {
                    continue;
                }
                extensionFormat(dataset, child.getPath());
                files.add(fs.makeQualified(child.getPath()));
            }
            if (files.isEmpty()) {
                throw DatasetErrors.emptyFolder(dataset, path.toString());
            }
            return files;
        } catch (FileNotFoundException e) {
            throw DatasetErrors.missingFile(dataset, path.toString());
        } catch (IOException e) {
            throw DatasetErrors.unreadable(dataset, path.toString(), e);
        }
    }

    /** PARQUET, JSONL, or null for {@code .json} (sniffed); anything else is refused. */
    private static FileFormat extensionFormat(String dataset, Path file) {
        String fileName = file.getName().toLowerCase(Locale.ROOT);
        if (fileName.endsWith(".parquet")) {
            return FileFormat.PARQUET;
        }
        if (fileName.endsWith(".jsonl")) {
            return FileFormat.JSONL;
        }
        if (fileName.endsWith(".json")) {
            return null;
        }
        throw DatasetErrors.invalid(
                dataset,
                "file_name",
                "holds " + file + ", whose type is not supported; "
                        + "allowed: .json (array or lines), .jsonl, .parquet");
    }

    private static FileFormat formatOf(String dataset, List<Path> files, Configuration conf) {
        Set<FileFormat> formats = new LinkedHashSet<>();
        FileFormat sniffedJson = null;
        for (Path file : files) {
            FileFormat format = extensionFormat(dataset, file);
            if (format == null) {
                if (sniffedJson == null) {
                    sniffedJson = sniffJsonLayout(dataset, file, conf);
                }
                format = sniffedJson;
            }
            formats.add(format);
        }
        if (formats.size() > 1) {
            throw DatasetErrors.invalid(
                    dataset,
                    "file_name",
                    "mixes file formats " + formats + " in " + files
                            + "; every file of one dataset must have the same layout (as in LLaMA-Factory): split it into "
                            + "several datasets");
        }
        return formats.iterator().next();
    }

    /** A {@code .json} file holds one array if its first non-blank character (after a BOM) is '['. */
    private static FileFormat sniffJsonLayout(String dataset, Path file, Configuration conf) {
        try (PushbackInputStream in =
                new PushbackInputStream(file.getFileSystem(conf).open(file), 3)) {
            byte[] bom = new byte[3];
            int n = in.readNBytes(bom, 0, 3);
            boolean hasBom = n == 3 && (bom[0] & 0xff) == 0xEF && (bom[1] & 0xff) == 0xBB && (bom[2] & 0xff) == 0xBF;
            if (!hasBom && n > 0) {
                in.unread(bom, 0, n);
            }
            for (int b = in.read(); b >= 0; b = in.read()) {
                if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
                    continue;
                }
                return b == '[' ? FileFormat.JSON_ARRAY : FileFormat.JSONL;
            }
            return FileFormat.JSONL;
        } catch (IOException e) {
            throw DatasetErrors.unreadable(dataset, file.toString(), e);
        }
    }

    private static List<String> uris(List<Path> files) {
        List<String> out = new ArrayList<>(files.size());
        for (Path file : files) {
            out.add(file.toString());
        }
        return out;
    }

    // ---- suggestions ----

    /** The known name with the smallest case-insensitive edit distance to {@code name}; first one on ties. */
}
