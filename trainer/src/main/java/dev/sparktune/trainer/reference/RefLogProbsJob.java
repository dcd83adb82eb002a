package dev.sparktune.trainer.reference;

import dev.sparktune.dl4j.layers.ActivationPlan;
import dev.sparktune.dl4j.model.HfConfigReader;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.preprocess.api.HadoopConfEntries;
import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.preprocess.table.PackedTable;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.data.TableTokenizerCheck;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.data.VersionUnavailableException;
import dev.sparktune.trainer.driver.RankThreads;
import dev.sparktune.trainer.model.HadoopModelDir;
import dev.sparktune.trainer.model.MergedModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.util.TaskCompletionListener;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The reference pass of preference training as an ordinary Spark job (not a barrier stage): every document of a
 * packed table version (the latest, or train.ref_logprobs_table_version) scored by the reference model, one model per
 * task, rows streamed through it. Each document's summed log-prob of its supervised tokens and their count replace the
 * content of a Delta table keyed by doc_id, in a new version whose properties name the table version and the reference
 * model (a run reading an older table version finds its log-probs in an older version: {@link RefLogProbs#pin});
 * training then holds one model, not two, and the reference compute scales with the cluster. Documents of a packed
 * row attend only to themselves, so a document's log-prob does not depend on the packing or on which task scored it. Each task's model is forward-only (one decoder layer's
 * activations, whatever the depth) and scores train.ref_logprobs_batch_rows packed rows per forward; a task's last
 * batch may be short, its missing rows padding that attends only to itself, so the batch size does not change a
 * document's log-prob beyond float summation order.
 */
public final class RefLogProbsJob {
    private RefLogProbsJob() {}

    public static RefLogProbsResult run(SparkSession spark, RefLogProbsConfig config) {
        long started = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        // pinning checks the packed-table contract and gives the version, seq_len and properties
        PinnedSnapshot snapshot = pin(spark, config);
        HadoopModelDir modelDir = HadoopModelDir.of(config.modelPath(), conf);
        ModelConfig model = HfConfigReader.parse(modelDir.configJson(), config.modelPath() + "/config.json");
        TableTokenizerCheck.check(snapshot, config.modelPath(), model, conf);
        String fingerprint = RefLogProbs.fingerprint(config.modelPath(), config.adapterPath(), conf);
        // the tasks hold the frozen weights as stored, widening bf16 / fp16 ones into one buffer on use
        boolean narrow = modelDir.storedDataType() != DataType.FLOAT;

        Dataset<Row> rows = spark.read()
                .format("delta")
                .option("versionAsOf", snapshot.version())
                .load(snapshot.path())
                .select(
                        PackedTable.INPUT_IDS,
                        PackedTable.LABELS,
                        PackedTable.DOC_LENS,
                        PackedTable.DOC_IDS,
                        PackedTable.SPLIT);
        int partitions = config.partitions() > 0
                ? config.partitions()
                : Math.max(1, spark.sparkContext().defaultParallelism());
        Dataset<Row> spread =
                rows.rdd().getNumPartitions() >= partitions ? rows.coalesce(partitions) : rows.repartition(partitions);
        HadoopConfEntries hadoop = HadoopConfEntries.fromSession(spark);
        int seqLen = snapshot.seqLen();
        int threads = RankThreads.perRank(spark.sparkContext(), partitions);
        JavaRDD<Row> scored = spread.javaRDD().mapPartitions(it -> scorePartition(it, config, hadoop, seqLen, threads));

        Map<String, String> properties = new TreeMap<>();
        properties.put(RefLogProbsTable.PROP_SOURCE_TABLE, snapshot.path());
        properties.put(RefLogProbsTable.PROP_SOURCE_VERSION, Long.toString(snapshot.version()));
        properties.put(RefLogProbsTable.PROP_MODEL, config.modelPath());
        properties.put(RefLogProbsTable.PROP_ADAPTER, config.adapterPath());
        properties.put(RefLogProbsTable.PROP_MODEL_FINGERPRINT, fingerprint);
        properties.put(PackedTable.PROP_SEQ_LEN, Integer.toString(seqLen));
        spark.sparkContext()
                .setJobDescription("SparkTune ref-logprobs: " + snapshot.path() + "@" + snapshot.version() + " on "
                        + partitions + " tasks");
        long version = DeltaTables.replace(
                spark, config.outputTable(), spark.createDataFrame(scored, RefLogProbsTable.SCHEMA), properties);
        Row totals = spark.read()
                .format("delta")
                .option("versionAsOf", version)
                .load(config.outputTable())
                .agg(functions.count("*"), functions.sum(RefLogProbsTable.REF_TOKENS))
                .first();
        return new RefLogProbsResult(
                config.outputTable(),
                version,
                snapshot.version(),
                totals.getLong(0),
                totals.isNullAt(1) ? 0 : totals.getLong(1),
                (System.nanoTime() - started) / 1e9,
                config.batchRows(),
                ActivationPlan.forwardOnly(model, config.batchRows(), seqLen, config.lossChunkTokens(), name -> narrow)
                        .total());
    }

    /** The packed table version to score: train.ref_logprobs_table_version, or the latest (-1). */
    private static PinnedSnapshot pin(SparkSession spark, RefLogProbsConfig config) {
        try {
            return PinnedSnapshot.pin(
                    spark,
                    config.table(),
                    PackedTable.SPLIT_TRAIN,
                    "train.ref_logprobs_table_version",
                    config.tableVersion());
        } catch (VersionUnavailableException e) {
            throw RefLogProbsException.versionUnavailable(e);
        }
    }

    /** The partition's documents, batchRows packed rows scored per forward as the writer pulls them. */
    private static Iterator<Row> scorePartition(
            Iterator<Row> rows, RefLogProbsConfig config, HadoopConfEntries hadoop, int seqLen, int threads) {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        int batchRows = config.batchRows();
        // frozen weights in the checkpoint's dtype (half the bytes for bf16), the adapter beside them
        MergedModel.Scorer model = MergedModel.forwardOnly(
                config.modelPath(),
                config.adapterPath(),
                hadoop.toConfiguration(),
                batchRows,
                seqLen,
                config.lossChunkTokens());
        DocumentLogProbs scorer = new DocumentLogProbs(model.lm(), batchRows, seqLen);
        // a task's cores, as a training rank's; restored, and the model's weights freed, when the task ends however
        // it ends (a failure, a kill): the writer pulls the rows until then
        RankThreads.Restore restore = RankThreads.apply(threads);
        AtomicBoolean ended = new AtomicBoolean();
        TaskContext.get().addTaskCompletionListener(new TaskCompletionListener() {
            @Override
            public void onTaskCompletion(TaskContext context) {
                if (ended.compareAndSet(false, true)) {
                    model.close();
                    restore.close();
                }
            }
        });
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();
            private final List<TrainRow> batch = new ArrayList<>(batchRows);
            private final List<String> splits = new ArrayList<>(batchRows);

            @Override
            public boolean hasNext() {
                while (ready.isEmpty() && rows.hasNext()) {
                    while (batch.size() < batchRows && rows.hasNext()) {
                        take(rows.next());
                    }
                    score();
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }

            private void take(Row row) {
                TrainRow read = TrainRow.of(row);
                if (read.docIds().length != read.docLens().length) {
                    // the packed-table contract: one id per document; a row breaking it would shift every id after
                    throw new IllegalStateException("a row of " + config.table() + " holds " + read.docLens().length
                            + " documents but " + read.docIds().length + " doc_ids: not a packed table SparkTune "
                            + "wrote");
                }
                batch.add(read);
                splits.add(row.getString(row.fieldIndex(PackedTable.SPLIT)));
            }

            private void score() {
                int docs = batch.stream().mapToInt(r -> r.docLens().length).sum();
                double[] sums = new double[docs];
                int[] counts = new int[docs];
                scorer.score(batch, sums, counts);
                int d = 0;
                for (int b = 0; b < batch.size(); b++) {
                    long[] docIds = batch.get(b).docIds();
                    for (int k = 0; k < docIds.length; k++, d++) {
                        ready.add(RowFactory.create(docIds[k], splits.get(b), sums[d], counts[d]));
                    }
                }
                batch.clear();
                splits.clear();
            }
        };
    }
}
