package dev.sparktune.trainer.reference;

import dev.sparktune.preprocess.table.DeltaTables;
import dev.sparktune.trainer.data.PinnedSnapshot;
import dev.sparktune.trainer.model.AdapterDirectory;
import dev.sparktune.trainer.model.HadoopModelDir;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The reference log-probs a preference run trains against: one version of the reference pass's table, pinned on the
 * driver after checking that it scored the very packed-table version the run trains on with the run's reference
 * model, and read by each rank straight from its Parquet files (20 bytes per document, id + log-prob + token
 * count: a run of a million pairs holds 40 MB per rank, not in the memory plan). Serializable: shipped to every rank.
 *
 * @param path    the reference table's qualified path
 * @param version its pinned Delta version
 * @param split   the packed table's split it is read for
 * @param files   the version's data files (escaped URIs)
 */
public record RefLogProbs(String path, long version, String split, List<URI> files) implements Serializable {

    public RefLogProbs {
        files = List.copyOf(files);
    }

    /** The fingerprint the reference pass records for reference model {@code modelPath} with {@code adapterPath}. */
    public static String fingerprint(String modelPath, String adapterPath, Configuration conf) {
        return HadoopModelDir.of(modelPath, conf).fingerprint()
                + (adapterPath.isEmpty()
                        ? ""
                        : " + adapter " + AdapterDirectory.of(adapterPath, conf).fingerprint());
    }

    /**
     * Pins the latest version of {@code refTable} for {@code packed}.
     *
     * @param refModel    the run's reference model directory
     * @param refAdapter  the adapter merged into it, or ""
     * @param loss        the pref_loss that needs the log-probs (for the message when there are none)
     * @throws RefLogProbsException no table there, or it scored another table version or with another model
     */
    public static RefLogProbs pin(
            SparkSession spark,
            String refTable,
            PinnedSnapshot packed,
            String refModel,
            String refAdapter,
            String loss) {
        String path = DeltaTables.qualify(spark, refTable);
        Snapshot snapshot = DeltaLog.forTableWithSnapshot(spark, path)._2();
        if (snapshot.version() < 0) {
            throw RefLogProbsException.missing(path, packed.path(), loss);
        }
        Map<String, String> props =
                CollectionConverters.asJava(snapshot.metadata().configuration());
        String source = props.getOrDefault(RefLogProbsTable.PROP_SOURCE_TABLE, "?");
        String sourceVersion = props.getOrDefault(RefLogProbsTable.PROP_SOURCE_VERSION, "?");
        if (!source.equals(packed.path()) || !sourceVersion.equals(Long.toString(packed.version()))) {
            throw RefLogProbsException.otherTable(path, source, sourceVersion, packed.path(), packed.version());
        }
        String theirs = props.getOrDefault(RefLogProbsTable.PROP_MODEL_FINGERPRINT, "?");
        String ours = fingerprint(refModel, refAdapter, spark.sparkContext().hadoopConfiguration());
        if (!theirs.equals(ours)) {
            String theirModel = props.getOrDefault(RefLogProbsTable.PROP_MODEL, "?");
            String theirAdapter = props.getOrDefault(RefLogProbsTable.PROP_ADAPTER, "");
            throw RefLogProbsException.otherModel(
                    path,
                    theirModel + (theirAdapter.isEmpty() ? "" : " + " + theirAdapter),
                    theirs,
                    refModel + (refAdapter.isEmpty() ? "" : " + " + refAdapter),
                    ours);
        }
        List<URI> files = new ArrayList<>();
        for (String file : spark.read()
                .format("delta")
                .option("versionAsOf", snapshot.version())
                .load(path)
                .inputFiles()) {
            files.add(new Path(file).toUri());
        }
        files.sort(null);
        return new RefLogProbs(path, snapshot.version(), packed.split(), files);
    }

    /** Reads the split's log-probs (inside a task: Parquet only, no Spark). */
    public Lookup read(Configuration conf) {
        List<long[]> ids = new ArrayList<>();
        List<double[]> logps = new ArrayList<>();
        List<int[]> tokens = new ArrayList<>();
        FilterCompat.Filter filter = FilterCompat.get(
                FilterApi.eq(FilterApi.binaryColumn(RefLogProbsTable.SPLIT), Binary.fromString(split)));
        int n = 0;
        for (URI file : files) {
            try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new Path(file))
                    .withConf(conf)
                    .withFilter(filter)
                    .build()) {
                long[] fileIds = new long[1024];
                double[] fileLogps = new double[1024];
                int[] fileTokens = new int[1024];
                int k = 0;
                for (Group g = reader.read(); g != null; g = reader.read()) {
                    if (k == fileIds.length) {
                        fileIds = Arrays.copyOf(fileIds, 2 * k);
                        fileLogps = Arrays.copyOf(fileLogps, 2 * k);
                        fileTokens = Arrays.copyOf(fileTokens, 2 * k);
                    }
                    fileIds[k] = g.getLong(RefLogProbsTable.DOC_ID, 0);
                    fileLogps[k] = g.getDouble(RefLogProbsTable.REF_LOGP, 0);
                    fileTokens[k] = g.getInteger(RefLogProbsTable.REF_TOKENS, 0);
                    k++;
                }
                ids.add(Arrays.copyOf(fileIds, k));
                logps.add(Arrays.copyOf(fileLogps, k));
                tokens.add(Arrays.copyOf(fileTokens, k));
                n += k;
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot read " + file + " of " + path + "@" + version + ": " + e.getMessage(), e);
            }
        }
        long[] allIds = new long[n];
        double[] allLogps = new double[n];
        int[] allTokens = new int[n];
        int at = 0;
        for (int f = 0; f < ids.size(); f++) {
            System.arraycopy(ids.get(f), 0, allIds, at, ids.get(f).length);
            System.arraycopy(logps.get(f), 0, allLogps, at, ids.get(f).length);
            System.arraycopy(tokens.get(f), 0, allTokens, at, ids.get(f).length);
            at += ids.get(f).length;
        }
        return Lookup.of(path, allIds, allLogps, allTokens);
    }

    /** Each document's reference log-prob and token count by doc_id (sorted arrays, binary search). */
    public static final class Lookup implements ReferenceLogProbs {
        private final String table;
        private final long[] ids;
        private final double[] logps;
        private final int[] tokens;

        private Lookup(String table, long[] ids, double[] logps, int[] tokens) {
            this.table = table;
            this.ids = ids;
            this.logps = logps;
            this.tokens = tokens;
        }

        /**
         * A lookup over parallel arrays in any order; {@code table} names them in errors. Sorted without boxing (a
         * rank may hold millions of documents): the ids alone, then each value placed at its id's sorted position.
         *
         * @throws RefLogProbsException a document appears twice
         */
        public static Lookup of(String table, long[] ids, double[] logps, int[] tokens) {
            long[] sortedIds = ids.clone();
            Arrays.sort(sortedIds);
            for (int i = 1; i < sortedIds.length; i++) {
                if (sortedIds[i] == sortedIds[i - 1]) {
                    throw RefLogProbsException.duplicateDocument(table, sortedIds[i]);
                }
            }
            double[] sortedLogps = new double[ids.length];
            int[] sortedTokens = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                int at = Arrays.binarySearch(sortedIds, ids[i]);
                sortedLogps[at] = logps[i];
                sortedTokens[at] = tokens[i];
            }
            return new Lookup(table, sortedIds, sortedLogps, sortedTokens);
        }

        @Override
        public double logp(long docId, int tokens) {
            int i = Arrays.binarySearch(ids, docId);
            if (i < 0) {
                throw RefLogProbsException.missingDocument(table, docId);
            }
            if (this.tokens[i] != tokens) {
                throw RefLogProbsException.tokenCount(table, docId, this.tokens[i], tokens);
            }
            return logps[i];
        }
    }
}
