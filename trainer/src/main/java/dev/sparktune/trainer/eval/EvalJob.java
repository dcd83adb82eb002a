package dev.sparktune.trainer.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparktune.dl4j.generate.GenerationConfig;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.preference.PreferenceLoss;
import dev.sparktune.preprocess.api.HadoopConfEntries;
import dev.sparktune.preprocess.encode.TokenizerCache;
import dev.sparktune.preprocess.encode.TokenizerFiles;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.TrainerException;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.data.TableTokenizerCheck;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.model.HadoopModelDir;
import dev.sparktune.trainer.model.MergedModel;
import dev.sparktune.trainer.preference.PairScoring;
import dev.sparktune.trainer.reference.DocumentLogProbs;
import dev.sparktune.trainer.reference.RefLogProbs;
import dev.sparktune.trainer.reference.ReferenceLogProbs;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The {@code eval} verb's Spark job: the eval split of a pinned packed-table version, scored by a model (with an
 * optional LoRA adapter merged in) on the executors: loss and perplexity over every supervised token, and, for a
 * fixed sample of documents, a generated answer compared with the reference (exact match, contains). On a table of
 * preference pairs: each pair's preference loss and metrics against the reference log-probs the ref-logprobs verb
 * wrote for the same version (reward accuracy and margin) or, with ref_logprobs = adapters_off, against the base
 * model without the adapter, which each task scores first; and generation for a sample of the chosen responses.
 * Writes {@code eval_results.json} and {@code generated_predictions.jsonl} (LLaMA-Factory's names) to any Hadoop FS.
 */
public final class EvalJob {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EvalJob() {}

    public static EvalResult run(SparkSession spark, EvalConfig config) {
        long started = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        PinnedSnapshot snapshot = PinnedSnapshot.pin(
                spark, config.table(), PackedTable.SPLIT_EVAL, "eval.table_version", config.tableVersion());
        boolean pairs = snapshot.holdsPairs();
        PreferenceLoss preferenceLoss = pairs ? config.preference().loss() : null;
        // ref_logprobs = adapters_off: each task scores its pairs' reference itself, no table is pinned
        RefLogProbs reference = pairs
                        && preferenceLoss.type().needsReference()
                        && !config.preference().adaptersOff()
                ? RefLogProbs.pin(
                        spark,
                        config.preference().refLogprobsTableOf(config.table()),
                        snapshot,
                        config.preference().refModel(),
                        config.preference().refModelAdapters(),
                        preferenceLoss.type().key())
                : null;
        if (snapshot.rows() == 0) {
            throw new TrainerException("the table " + snapshot.path() + " (version " + snapshot.version()
                    + ") has no rows in its eval split: prepare it with data.val_size > 0");
        }
        ModelConfig model = HfConfigReader.parse(
                HadoopModelDir.of(config.modelPath(), conf).configJson(), config.modelPath() + "/config.json");
        TokenizerFiles tokenizer = TableTokenizerCheck.check(snapshot, config.modelPath(), model, conf);
        Set<Integer> stops = new LinkedHashSet<>(model.eosTokenIds());
        stops.add(Integer.parseInt(snapshot.properties().get(PackedTable.PROP_EOS_ID)));
        GenerationConfig generation = new GenerationConfig(
                config.maxNewTokens(),
                stops,
                config.doSample() ? config.temperature() : 0.0,
                config.topK(),
                config.doSample() ? config.topP() : 1.0,
                config.seed());

        Dataset<Row> rows = spark.read()
                .format("delta")
                .option("versionAsOf", snapshot.version())
                .load(snapshot.path())
                .where(functions.col(PackedTable.SPLIT).equalTo(PackedTable.SPLIT_EVAL))
                .selectExpr(
                        pairs
                                ? new String[] {
                                    PackedTable.INPUT_IDS,
                                    PackedTable.LABELS,
                                    PackedTable.DOC_LENS,
                                    PackedTable.DOC_IDS,
                                    PackedTable.DOC_ROLES
                                }
                                : new String[] {
                                    PackedTable.INPUT_IDS, PackedTable.LABELS, PackedTable.DOC_LENS, PackedTable.DOC_IDS
                                });
        Set<Long> chosen = config.predictWithGenerate() ? sample(rows, config.maxSamples(), pairs) : Set.of();
        int partitions = (int) Math.max(1, Math.min(spark.sparkContext().defaultParallelism(), snapshot.rows()));
        HadoopConfEntries hadoop = HadoopConfEntries.fromSession(spark);
        int seqLen = snapshot.seqLen();
        PartitionScore total = rows
                .coalesce(partitions)
                .javaRDD()
                .mapPartitions(it -> List.of(scorePartition(
                                it, config, hadoop, seqLen, generation, tokenizer, chosen, preferenceLoss, reference))
                        .iterator())
                .collect()
                .stream()
                .reduce(PartitionScore.EMPTY, PartitionScore::plus);

        List<DocPrediction> predictions = new ArrayList<>(total.predictions());
        predictions.sort(Comparator.comparingLong(p -> sampleOrder(p.docId())));
        double loss = total.loss();
        EvalResult result = new EvalResult(
                config.modelPath(),
                config.adapterPath(),
                snapshot.path(),
                snapshot.version(),
                total.rows(),
                total.docs(),
                total.supervisedTokens(),
                loss,
                Math.exp(loss),
                predictions.size(),
                total.share(DocPrediction::exactMatch),
                total.share(DocPrediction::contains),
                (System.nanoTime() - started) / 1e9,
                predictions,
                total.pairs(),
                preferenceMetrics(total, preferenceLoss));
        if (!config.outputDir().isEmpty()) {
            write(result, config.outputDir(), conf);
        }
        return result;
    }

    /** The mean preference loss and each metric over the split's pairs; empty for a table of single documents. */
    private static Map<String, Double> preferenceMetrics(PartitionScore total, PreferenceLoss loss) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (loss == null || total.pairs() == 0) {
            return out;
        }
        out.put("loss", total.pairLossSum() / total.pairs());
        List<String> names = PairScoring.metricNames(loss);
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), total.pairMetricSums()[i] / total.pairs());
        }
        return out;
    }

    /**
     * @param preferenceLoss how pairs are scored; null for a table of single documents
     * @param reference      the reference log-probs of the eval split; null without pairs, for orpo / simpo, and for
     *                       ref_logprobs = adapters_off (each task scores the base model's itself)
     */
    private static PartitionScore scorePartition(
            Iterator<Row> it,
            EvalConfig config,
            HadoopConfEntries hadoop,
            int seqLen,
            GenerationConfig generation,
            TokenizerFiles tokenizer,
            Set<Long> chosen,
            PreferenceLoss preferenceLoss,
            RefLogProbs reference) {
        if (!it.hasNext()) {
            return PartitionScore.EMPTY;
        }
        boolean adaptersOff = preferenceLoss != null
                && preferenceLoss.type().needsReference()
                && config.preference().adaptersOff();
        // the adapters-off reference scores the partition's rows before the evaluated model loads: they are read
        // first (the eval split), so that one model is resident at a time
        Iterator<TrainRow> rows;
        ReferenceLogProbs referenceLogProbs = null;
        if (adaptersOff) {
            List<TrainRow> read = new ArrayList<>();
            it.forEachRemaining(row -> read.add(TrainRow.of(row)));
            referenceLogProbs = adaptersOffReference(read, config, hadoop, seqLen);
            rows = read.iterator();
        } else {
            if (reference != null) {
                referenceLogProbs = reference.read(hadoop.toConfiguration());
            }
            rows = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public TrainRow next() {
                    return TrainRow.of(it.next());
                }
            };
        }
        PairScoring pairScoring = preferenceLoss == null ? null : new PairScoring(preferenceLoss, referenceLogProbs);
        RowEvaluator evaluator = new RowEvaluator(
                MergedModel.load(config.modelPath(), config.adapterPath(), hadoop.toConfiguration()),
                seqLen,
                config.lossChunkTokens(),
                generation,
                TokenizerCache.get(tokenizer),
                chosen,
                config.batchSize(),
                pairScoring);
        rows.forEachRemaining(evaluator::add);
        return evaluator.score();
    }

    /**
     * The reference of ref_logprobs = adapters_off for {@code rows}: the base model alone (the reference eval's
     * config fixes to model_name_or_path, without the evaluated adapter), loaded and each document scored as the
     * reference pass does ({@link MergedModel#forwardOnly}: frozen weights in the checkpoint's dtype), so that eval
     * and training see the same reference log-probs.
     */
    private static RefLogProbs.Lookup adaptersOffReference(
            List<TrainRow> rows, EvalConfig config, HadoopConfEntries hadoop, int seqLen) {
        String base = config.preference().refModel();
        // closed before the evaluated model loads: one model's weights resident at a time
        try (MergedModel.Scorer reference = MergedModel.forwardOnly(
                base, "", hadoop.toConfiguration(), config.batchSize(), seqLen, config.lossChunkTokens())) {
            return new DocumentLogProbs(reference.lm(), config.batchSize(), seqLen)
                    .lookup("the adapters-off reference " + base, rows);
        }
    }

    /**
     * The documents answered by generation: the first {@code maxSamples} in the order of a hash of their doc id,
     * so the sample is spread over the split and the same for every model, cluster size and re-run. Of a table of
     * pairs, the chosen documents only: their responses are the answers wanted.
     */
    private static Set<Long> sample(Dataset<Row> rows, int maxSamples, boolean pairs) {
        Dataset<Row> docs = pairs
                ? rows.select(functions
                                .explode(functions.arrays_zip(
                                        functions.col(PackedTable.DOC_IDS), functions.col(PackedTable.DOC_ROLES)))
                                .as("doc"))
                        .where(functions
                                .col("doc")
                                .getField(PackedTable.DOC_ROLES)
                                .equalTo(PackedTable.ROLE_CHOSEN))
                        .select(functions.col("doc").getField(PackedTable.DOC_IDS))
                : rows.select(functions.explode(functions.col(PackedTable.DOC_IDS)));
        List<Long> ids = new ArrayList<>(docs.as(Encoders.LONG()).collectAsList());
        ids.sort(Comparator.comparingLong(EvalJob::sampleOrder));
        return new HashSet<>(maxSamples == 0 ? ids : ids.subList(0, Math.min(maxSamples, ids.size())));
    }

    /** SplitMix64's finalizer: a well-mixed, unsigned-comparable order of doc ids. */
    private static long sampleOrder(long docId) {
        long z = docId + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) ^ Long.MIN_VALUE;
    }

    private static void write(EvalResult result, String outputDir, Configuration conf) {
        Path dir = new Path(outputDir);
        try {
            FileSystem fs = dir.getFileSystem(conf);
            fs.mkdirs(dir);
            writeFile(fs, new Path(dir, "generated_predictions.jsonl"), predictionsJsonl(result.predictions()));
            writeFile(
                    fs,
                    new Path(dir, "eval_results.json"),
                    MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result.toJson()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the eval results to " + outputDir + ": " + e.getMessage(), e);
        }
    }

    /** generated_predictions.jsonl: each prediction as {@link DocPrediction}'s JSON, one a line. */
    static String predictionsJsonl(List<DocPrediction> predictions) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (DocPrediction p : predictions) {
            lines.append(MAPPER.writeValueAsString(p)).append('\n');
        }
        return lines.toString();
    }

    private static void writeFile(FileSystem fs, Path file, String text) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
