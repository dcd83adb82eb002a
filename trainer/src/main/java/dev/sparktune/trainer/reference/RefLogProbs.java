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
import scala.Option;
import scala.Tuple2;
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
     * Pins the newest version of {@code refTable} that scored exactly {@code packed}'s path and version with the run's
     * reference model. That is the latest version unless the run reads an older packed version (a resumed checkpoint's,
     * eval.table_version) and ref-logprobs has scored a newer one since: the log-probs of the older one are then found
     * in an older version of the reference table (Delta time travel), newest first, stopping at the first match.
     * Versions whose log entries have expired are not looked at; a matching version whose data files were vacuumed is
     * not taken.
     *
     * @param refModel    the run's reference model directory
     * @param refAdapter  the adapter merged into it, or ""
     * @param loss        the pref_loss that needs the log-probs (for the message when there are none)
     * @throws RefLogProbsException no table there, or none of its versions scored this table version with this model
     */
    public static RefLogProbs pin(
            SparkSession spark,
            String refTable,
            PinnedSnapshot packed,
            String refModel,
            String refAdapter,
            String loss) {
        String path = DeltaTables.qualify(spark, refTable);
        Tuple2<DeltaLog, Snapshot> logAndLatest = DeltaLog.forTableWithSnapshot(spark, path);
        DeltaLog log = logAndLatest._1();
        Snapshot latest = logAndLatest._2();
        if (latest.version() < 0) {
            throw RefLogProbsException.missing(path, packed.path(), loss);
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Scoring wanted = new Scoring(
                packed.path(),
                Long.toString(packed.version()),
                refModel,
                refAdapter,
                fingerprint(refModel, refAdapter, conf));
        List<String> others = new ArrayList<>();
        Scoring sameVersionOtherModel = null;
        long earliest = log.history().getEarliestRecreatableCommit();
        for (long version = latest.version(); version >= earliest; version--) {
            Snapshot snapshot =
                    version == latest.version() ? latest : log.getSnapshotAt(version, Option.empty(), Option.empty());
            Scoring scoring =
                    Scoring.of(CollectionConverters.asJava(snapshot.metadata().configuration()));
            if (scoring.sameLogProbsAs(wanted)) {
                List<URI> files = filesOf(spark, path, version);
                if (allExist(files, conf)) {
                    return new RefLogProbs(path, version, packed.split(), files);
                }
                others.add("version " + version + ": " + scoring.describeAgainst(wanted) + ", its data files vacuumed");
            } else {
                others.add("version " + version + ": " + scoring.describeAgainst(wanted));
                if (sameVersionOtherModel == null && scoring.scoredSameVersionAs(wanted)) {
                    sameVersionOtherModel = scoring;
                }
            }
        }
        throw RefLogProbsException.noMatch(
                path,
                wanted.describe(),
                packed.version(),
                others,
                sameVersionOtherModel == null ? "" : sameVersionOtherModel.modelName());
    }

    private static List<URI> filesOf(SparkSession spark, String path, long version) {
        List<URI> files = new ArrayList<>();
        for (String file : spark.read()
                .format("delta")
                .option("versionAsOf", version)
                .load(path)
                .inputFiles()) {
            files.add(new Path(file).toUri());
        }
        files.sort(null);
        return files;
    }

    private static boolean allExist(List<URI> files, Configuration conf) {
        for (URI file : files) {
            Path p = new Path(file);
            try {
                if (!p.getFileSystem(conf).exists(p)) {
                    return false;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot check " + file + ": " + e.getMessage(), e);
            }
        }
        return true;
    }

    /**
     * What one version of the reference table scored, as its properties record it ("?" where a property is absent:
     * a version ref-logprobs did not write).
     */
    private record Scoring(String source, String sourceVersion, String model, String adapter, String fingerprint) {
        static Scoring of(Map<String, String> properties) {
            return new Scoring(
                    properties.getOrDefault(RefLogProbsTable.PROP_SOURCE_TABLE, "?"),
                    properties.getOrDefault(RefLogProbsTable.PROP_SOURCE_VERSION, "?"),
                    properties.getOrDefault(RefLogProbsTable.PROP_MODEL, "?"),
                    properties.getOrDefault(RefLogProbsTable.PROP_ADAPTER, ""),
                    properties.getOrDefault(RefLogProbsTable.PROP_MODEL_FINGERPRINT, "?"));
        }

        /** Of the same packed table version. */
        boolean scoredSameVersionAs(Scoring other) {
            return source.equals(other.source) && sourceVersion.equals(other.sourceVersion);
        }

        /** The same log-probs: of the same version by the same model (whose path may differ: a copied directory). */
        boolean sameLogProbsAs(Scoring other) {
            return scoredSameVersionAs(other) && fingerprint.equals(other.fingerprint);
        }

        String describe() {
            return source + "@" + sourceVersion + " by reference model " + modelName() + " (" + fingerprint + ")";
        }

        /** This version's scoring, its model named in full only where it is not {@code wanted}'s. */
        String describeAgainst(Scoring wanted) {
            return source + "@" + sourceVersion
                    + (fingerprint.equals(wanted.fingerprint)
                            ? " by the same reference model"
                            : " by reference model " + modelName() + " (" + fingerprint + ")");
        }

        private String modelName() {
            return model + (adapter.isEmpty() ? "" : " + " + adapter);
        }
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
