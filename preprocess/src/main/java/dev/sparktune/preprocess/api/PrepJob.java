package dev.sparktune.preprocess.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.encode.DocumentEncoder;
import dev.sparktune.preprocess.encode.EncodeOutcome;
import dev.sparktune.preprocess.encode.EncodedDocument;
import dev.sparktune.preprocess.encode.SpecialTokens;
import dev.sparktune.preprocess.encode.TokenizerFiles;
import dev.sparktune.preprocess.pack.EvalSplit;
import dev.sparktune.preprocess.pack.PackedRow;
import dev.sparktune.preprocess.pack.RowPacker;
import dev.sparktune.preprocess.reject.RejectReason;
import dev.sparktune.preprocess.source.DatasetCatalog;
import dev.sparktune.preprocess.source.DatasetSpec;
import dev.sparktune.preprocess.source.RecordConverter;
import dev.sparktune.preprocess.source.SourceReader;
import dev.sparktune.preprocess.source.SourceRecord;
import dev.sparktune.preprocess.stats.OutcomeTally;
import dev.sparktune.preprocess.stats.PrepStats;
import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.preprocess.table.RejectsTable;
import dev.sparktune.preprocess.template.ChatTemplate;
import dev.sparktune.preprocess.template.ChatTemplates;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate;
import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The prep job: datasets in; packed Delta table, rejects Delta table and stats JSON out.
 *
 * <p>Every input record ends as exactly one document or one reject: the encoder yields one outcome per record, and
 * the stats count both. Each table is replaced in one Delta commit carrying the data and all its properties,
 * including the run fingerprint (inputs, config, dataset_info entries, tokenizer, code build) and the stats, so an
 * identical re-run is recognised from the table alone and commits nothing, and a run that fails half-way leaves the
 * previous version intact and is simply redone.
 */
public final class PrepJob {
    private static final Logger LOG = LoggerFactory.getLogger(PrepJob.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PrepJob() {}

    public static PrepResult run(SparkSession spark, PrepConfig config) {
        Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
        TokenizerFiles tokenizer = TokenizerFiles.load(config.modelPath(), hadoopConf);
        boolean pretraining = config.stage() == Stage.PT;
        // stage pt writes no template, but a named one still chooses the eos pt appends, as in LLaMA-Factory
        ChatTemplate template = !pretraining || !config.template().name().equals(ChatTemplates.AUTO)
                ? ChatTemplates.resolve(
                        config.template().name(),
                        tokenizer.tokenizerConfigJson(),
                        config.template().enableThinking())
                : null;
        Optional<String> eosToken = Optional.empty();
        if (template instanceof LlamaFactoryTemplate lf) {
            eosToken = lf.eosToken(pretraining);
            // pt writes no slot, only the eos after each text: a named template of another family may choose it
            List<String> required = pretraining ? new ArrayList<>() : new ArrayList<>(lf.requiredTokens());
            eosToken.filter(eos -> !required.contains(eos)).ifPresent(required::add);
            List<String> missing = tokenizer.missingAddedTokens(required);
            if (!missing.isEmpty()) {
                throw new PreprocessException("template '" + lf.name() + "' writes " + missing + ", which the "
                        + "tokenizer in " + config.modelPath() + " does not have as tokens: the template is for "
                        + "another model family; use template = auto (the model's own chat template) or the "
                        + "template of the model's family");
            }
        }
        List<DatasetSpec> specs =
                DatasetCatalog.resolve(config.datasets(), config.datasetDir(), config.stage(), hadoopConf);
        String configHash = PrepConfigHash.sha256(config);
        String fingerprint = runFingerprint(config, configHash, tokenizer, specs, hadoopConf);

        Map<String, String> existing =
                DeltaTables.properties(spark, config.outputs().table());
        if (fingerprint.equals(existing.get(PackedTable.PROP_RUN_FINGERPRINT))
                && existing.containsKey(PackedTable.PROP_STATS)) {
            LOG.info(
                    "prep: inputs and config unchanged since the run that wrote {} (fingerprint {}); nothing to do",
                    config.outputs().table(),
                    fingerprint);
            PrepStats stats = parseStats(existing.get(PackedTable.PROP_STATS));
            if (!exists(config.outputs().statsPath(), hadoopConf)) {
                writeStats(config.outputs().statsPath(), stats, hadoopConf);
            }
            return new PrepResult(DeltaTables.version(spark, config.outputs().table()), false, stats);
        }

        Map<String, RecordConverter> converters = new LinkedHashMap<>();
        for (DatasetSpec spec : specs) {
            converters.put(spec.name(), RecordConverter.forSpec(spec, config.stage()));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int partitions = config.partitions() > 0 ? config.partitions() : 2 * jsc.defaultParallelism();
        Broadcast<TokenizerFiles> tokenizerFiles = jsc.broadcast(tokenizer);
        // parsing tokenizer.json for the special tokens takes about a second: once per run
        SpecialTokens special = tokenizer.specialTokens(eosToken);
        DocumentEncoder encoder = new DocumentEncoder(
                converters,
                DocumentEncoder.fileRoots(specs),
                template,
                tokenizerFiles,
                special,
                config.stage(),
                config.labels(),
                config.split().seed());

        JavaRDD<SourceRecord> records = SourceReader.read(spark, specs, config.maxSamples(), partitions);
        JavaRDD<EncodeOutcome> outcomes =
                records.mapPartitions(encoder::encode).persist(StorageLevel.MEMORY_AND_DISK_SER());
        try {
            OutcomeTally tally = outcomes.treeAggregate(new OutcomeTally(), OutcomeTally::add, OutcomeTally::merge);
            failOnUnreadableFiles(tally, outcomes);
            Map<String, String> properties = tableProperties(spark, config, configHash, tokenizer, special, template);
            properties.put(PackedTable.PROP_RUN_FINGERPRINT, fingerprint);
            DeltaTables.replace(
                    spark,
                    config.outputs().rejectsTable(),
                    spark.createDataFrame(
                            outcomes.filter(o -> o instanceof EncodeOutcome.Rejected)
                                    .map(o -> RejectsTable.toRow(((EncodeOutcome.Rejected) o).reject())),
                            RejectsTable.SCHEMA),
                    properties);
            if (tally.accepted() == 0) {
                throw new PreprocessException("no input record became a training document: all "
                        + tally.rejected() + " were rejected " + tally.rejectsByReason() + "; see the rejects table "
                        + config.outputs().rejectsTable() + " (reason and message per record)");
            }

            JavaRDD<EncodedDocument> documents = outcomes.flatMap(o -> o instanceof EncodeOutcome.Accepted a
                    ? List.of(a.document()).iterator()
                    : Collections.emptyIterator());
            EvalSplit split = evalSplit(config.split().valSize(), documents, tally.accepted());
            long trainDocuments =
                    documents.filter(d -> !split.isEval(d.contentHash())).count();
            RowPacker packer = new RowPacker(config.seqLen(), split);
            JavaRDD<RowPacker.FirstPass> firstPass = null;
            JavaRDD<RowPacker.GroupedRow> rows;
            if (config.packing()) {
                firstPass = documents
                        .mapToPair(doc -> new Tuple2<>(Math.floorMod(doc.docId(), partitions), doc))
                        .partitionBy(new HashPartitioner(partitions))
                        .values()
                        .mapPartitions(packer::packPartition)
                        .persist(StorageLevel.MEMORY_AND_DISK_SER());
                JavaRDD<RowPacker.GroupedRow> finalRows =
                        firstPass.flatMap(p -> p instanceof RowPacker.FirstPass.Final f
                                ? List.of(f.row()).iterator()
                                : Collections.emptyIterator());
                JavaRDD<RowPacker.GroupedRow> tailRows = firstPass
                        .flatMapToPair(p -> p instanceof RowPacker.FirstPass.Released r
                                ? List.of(new Tuple2<>(r.group(), r.item())).iterator()
                                : Collections.emptyIterator())
                        .groupByKey()
                        .mapPartitions(packer::packReleasedPartition);
                rows = finalRows.union(tailRows);
            } else {
                // one row per document: rows are final in the partition that encoded them, no shuffle
                rows = documents.mapPartitions(packer::rowPerDocument);
            }
            try {
                RowTally rowTally = rows.treeAggregate(new RowTally(), RowTally::add, RowTally::merge);
                if (firstPass != null) {
                    outcomes.unpersist(false); // everything downstream reads the packed first pass
                }
                PrepStats stats = tally.toStats(
                        trainDocuments,
                        rowTally.rowsBySplit,
                        rowTally.lowerBound(config.seqLen()),
                        rowTally.tokens,
                        config.seqLen());
                properties.put(PackedTable.PROP_STATS, compactJson(stats));
                long dataVersion = DeltaTables.replace(
                        spark,
                        config.outputs().table(),
                        spark.createDataFrame(rows.map(PrepJob::toRow), PackedTable.SCHEMA),
                        properties);
                writeStats(config.outputs().statsPath(), stats, hadoopConf);
                return new PrepResult(dataVersion, true, stats);
            } finally {
                if (firstPass != null) {
                    firstPass.unpersist(false);
                }
            }
        } finally {
            outcomes.unpersist(false);
            tokenizerFiles.destroy();
        }
    }

    /** Row count, tokens and the packing lower bound per (split, dataset) group, from the packed rows. */
    static final class RowTally implements Serializable {
        final Map<String, Long> rowsBySplit = new TreeMap<>();
        final Map<String, Long> tokensByGroup = new TreeMap<>();
        long tokens;

        RowTally add(RowPacker.GroupedRow row) {
            rowsBySplit.merge(row.split(), 1L, Long::sum);
            tokensByGroup.merge(
                    row.split() + "\0" + row.dataset(), (long) row.row().numTokens(), Long::sum);
            tokens += row.row().numTokens();
            return this;
        }

        RowTally merge(RowTally other) {
            other.rowsBySplit.forEach((k, v) -> rowsBySplit.merge(k, v, Long::sum));
            other.tokensByGroup.forEach((k, v) -> tokensByGroup.merge(k, v, Long::sum));
            tokens += other.tokens;
            return this;
        }

        long lowerBound(int cutoffLen) {
            return tokensByGroup.values().stream()
                    .mapToLong(t -> (t + cutoffLen - 1) / cutoffLen)
                    .sum();
        }
    }

    private static EvalSplit evalSplit(double valSize, JavaRDD<EncodedDocument> documents, long accepted) {
        if (valSize == 0) {
            return EvalSplit.noEval();
        }
        if (valSize < 1) {
            return EvalSplit.fraction(valSize);
        }
        if (valSize >= accepted) {
            throw new PreprocessException("data.val_size = " + (long) valSize + " documents leaves nothing to "
                    + "train on: only " + accepted + " documents were accepted; lower it or give a fraction");
        }
        List<Long> smallest = documents
                .map(EncodedDocument::contentHash)
                .takeOrdered((int) valSize, (Comparator<Long> & Serializable) Long::compareUnsigned);
        if (smallest.isEmpty()) {
            return EvalSplit.noEval();
        }
        return EvalSplit.belowOrAt(smallest.get(smallest.size() - 1));
    }

    private static Row toRow(RowPacker.GroupedRow grouped) {
        PackedRow row = grouped.row();
        return RowFactory.create(
                row.inputIds(),
                row.labels(),
                row.positionIds(),
                row.docLens(),
                row.numTokens(),
                row.numSupervised(),
                grouped.dataset(),
                grouped.split(),
                row.docIds(),
                row.docRoles());
    }

    private static Map<String, String> tableProperties(
            SparkSession spark,
            PrepConfig config,
            String configHash,
            TokenizerFiles tokenizer,
            SpecialTokens special,
            ChatTemplate template) {
        Map<String, String> properties = new TreeMap<>();
        properties.put(PackedTable.PROP_TOKENIZER_SHA256, tokenizer.sha256());
        properties.put(PackedTable.PROP_TOKENIZER_PATH, DeltaTables.qualify(spark, config.modelPath()));
        properties.put(PackedTable.PROP_VOCAB_SIZE, Integer.toString(special.vocabSize()));
        properties.put(PackedTable.PROP_BOS_ID, Integer.toString(special.bosId()));
        properties.put(PackedTable.PROP_EOS_ID, Integer.toString(special.eosId()));
        properties.put(PackedTable.PROP_PAD_ID, Integer.toString(special.padId()));
        properties.put(PackedTable.PROP_TEMPLATE, template == null ? "none" : template.name());
        properties.put(PackedTable.PROP_STAGE, config.stage().name().toLowerCase(Locale.ROOT));
        properties.put(PackedTable.PROP_SEQ_LEN, Integer.toString(config.seqLen()));
        properties.put(
                PackedTable.PROP_PACKING,
                config.packing() ? PackedTable.PACKING_BLOCK_DIAGONAL : PackedTable.PACKING_NONE);
        properties.put(PackedTable.PROP_PREP_CONFIG_HASH, configHash);
        properties.put(PackedTable.PROP_VERSION, SparkTuneVersion.VERSION);
        return properties;
    }

    /**
     * A file no task could read (permissions, unreachable from the executors, corrupt Parquet footer) is not a bad
     * record: committing a table without it would pass for a complete run, and the fingerprint would then skip the
     * re-run once the file is readable. Fail instead, naming the files.
     */
    private static void failOnUnreadableFiles(OutcomeTally tally, JavaRDD<EncodeOutcome> outcomes) {
        if (!tally.rejectsByReason().containsKey(RejectReason.UNREADABLE_FILE.name())) {
            return;
        }
        List<String> unreadable = outcomes.filter(o ->
                        o instanceof EncodeOutcome.Rejected r && r.reject().reason() == RejectReason.UNREADABLE_FILE)
                .map(o -> ((EncodeOutcome.Rejected) o).reject())
                .map(r -> r.file() + ": " + r.message())
                .take(20);
        throw new IllegalStateException("cannot read " + unreadable.size() + (unreadable.size() == 20 ? "+" : "")
                + " input file(s); nothing was committed. Check that the executors can reach them:\n  "
                + String.join("\n  ", unreadable));
    }

    /**
     * SHA-256 over everything that determines the output: config, resolved dataset entries (format, columns, tags,
     * files with size and mtime), tokenizer files, and the code build (version, plus the jar's timestamp for
     * snapshot builds, whose version does not change with the code).
     */
    private static String runFingerprint(
            PrepConfig config,
            String configHash,
            TokenizerFiles tokenizer,
            List<DatasetSpec> specs,
            Configuration hadoopConf) {
        StringBuilder text = new StringBuilder()
                .append(configHash)
                .append('\n')
                .append(tokenizer.sha256())
                .append('\n')
                .append(sha256Hex(tokenizer.tokenizerConfigJson()))
                .append('\n')
                .append(SparkTuneVersion.VERSION)
                .append('\n')
                .append(snapshotBuildStamp())
                .append('\n');
        for (DatasetSpec spec : specs) {
            text.append(spec).append('\n');
            for (String file : spec.files()) {
                Path path = new Path(file);
                try {
                    FileStatus status = path.getFileSystem(hadoopConf).getFileStatus(path);
                    text.append(spec.name())
                            .append('\t')
                            .append(file)
                            .append('\t')
                            .append(status.getLen())
                            .append('\t')
                            .append(status.getModificationTime())
                            .append('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot stat input file " + file + ": " + e.getMessage(), e);
                }
            }
        }
        return sha256Hex(text.toString());
    }

    private static String snapshotBuildStamp() {
        if (!SparkTuneVersion.VERSION.endsWith("-SNAPSHOT")) {
            return "";
        }
        try {
            URL location = PrepJob.class.getProtectionDomain().getCodeSource().getLocation();
            File code = new File(location.toURI());
            return code.getPath() + "@" + code.lastModified();
        } catch (URISyntaxException | RuntimeException e) {
            return "unknown-build";
        }
    }

    private static boolean exists(String path, Configuration hadoopConf) {
        Path p = new Path(path);
        try {
            return p.getFileSystem(hadoopConf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path + ": " + e.getMessage(), e);
        }
    }

    private static void writeStats(String statsPath, PrepStats stats, Configuration hadoopConf) {
        Path path = new Path(statsPath);
        try {
            FileSystem fs = path.getFileSystem(hadoopConf);
            try (FSDataOutputStream out = fs.create(path, true)) {
                out.write(JSON.writeValueAsBytes(stats));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the stats to " + statsPath + ": " + e.getMessage(), e);
        }
    }

    private static PrepStats parseStats(String json) {
        try {
            return JSON.readValue(json, PrepStats.class);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the table's " + PackedTable.PROP_STATS + " property is not valid: " + e.getMessage(), e);
        }
    }

    private static String compactJson(PrepStats stats) {
        try {
            return new ObjectMapper().writeValueAsString(stats);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The stats as the JSON the job prints and writes. */
    public static String toJson(PrepStats stats) {
        try {
            return JSON.writeValueAsString(stats);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
