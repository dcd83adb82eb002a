package dev.sparktune.preprocess.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import dev.sparktune.preprocess.api.HadoopConfEntries;
import dev.sparktune.preprocess.reject.RejectReason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Reads the records of resolved datasets as {@link SourceRecord}s: JSON text plus where it came from, or why it
 * could not be read. Every record the files hold comes out exactly once, readable or not, so downstream
 * {@code records = documents + rejects} holds. Blank lines of JSON-lines files are not records and are counted
 * nowhere.
 *
 * <ul>
 *   <li>JSON lines: one task per file reads it front to back, numbering lines from 1 and decoding each strictly as
 *       UTF-8 ({@link JsonLinesReader}).</li>
 *   <li>JSON array: one task per file streams the elements with Jackson ({@link JsonArrayReader}).</li>
 *   <li>Parquet: Spark's reader (split as Spark splits files, schemas merged across files), each row turned into
 *       JSON text with {@code to_json} so the converters see one shape; the locator is
 *       {@code _metadata.row_index}. A file whose footer cannot be read is one UNREADABLE_FILE record (locator
 *       -1) and is left out of the scan. Null fields are omitted from the JSON, which the converters treat as
 *       absent, as they treat JSON nulls.</li>
 *   <li>A JSON file that cannot be opened is one UNREADABLE_FILE record (locator -1); an IO error part-way fails
 *       the task (Spark retries it).</li>
 * </ul>
 *
 * <p>{@code maxSamples > 0} keeps only the first N records of each dataset, in file order then locator order
 * (LLaMA-Factory's {@code max_samples}: {@code dataset.select(range(N))}); read errors count as records. For JSON
 * files this costs one extra pass over at most N records per file to count them; Parquet row counts come from the
 * footers. The JSON part is repartitioned to the job's partition count so one big file does not leave cores idle
 * downstream.
 */
public final class SourceReader {
    private SourceReader() {}

    /**
     * Reads all records of {@code specs}.
     *
     * @param maxSamples records per dataset to keep (first N), or 0 for all
     * @param partitions partitions of the JSON records (Parquet keeps Spark's file splits)
     */
    public static JavaRDD<SourceRecord> read(
            SparkSession spark, List<DatasetSpec> specs, long maxSamples, int partitions) {
        if (specs == null || specs.isEmpty()) {
            throw new IllegalArgumentException("at least one dataset is required");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        if (maxSamples < 0) {
            throw new IllegalArgumentException("maxSamples must be >= 0 (0 = all), got " + maxSamples);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Broadcast<HadoopConfEntries> confBroadcast = jsc.broadcast(HadoopConfEntries.of(conf));
        long limit = maxSamples == 0 ? Long.MAX_VALUE : maxSamples;

        List<FileTask> jsonTasks = new ArrayList<>();
        List<DatasetSpec> jsonSpecs = new ArrayList<>();
        List<JavaRDD<SourceRecord>> parts = new ArrayList<>();
        List<SourceRecord> driverRecords = new ArrayList<>();
        for (DatasetSpec spec : specs) {
            if (spec.format() == FileFormat.PARQUET) {
                readParquet(spark, spec, limit, conf, parts, driverRecords);
            } else {
                jsonSpecs.add(spec);
                for (String file : spec.files()) {
                    jsonTasks.add(new FileTask(spec.name(), file, spec.format(), limit));
                }
            }
        }

        if (!jsonTasks.isEmpty()) {
            if (maxSamples > 0) {
                jsonTasks = limitJsonTasks(jsc, jsonTasks, jsonSpecs, limit, confBroadcast);
            }
            if (!jsonTasks.isEmpty()) {
                parts.add(jsc.parallelize(jsonTasks, jsonTasks.size())
                        .flatMap(task ->
                                openOnExecutor(task, confBroadcast.value().toConfiguration()))
                        .repartition(partitions));
            }
        }
        if (!driverRecords.isEmpty()) {
            parts.add(jsc.parallelize(driverRecords, 1));
        }
        if (parts.isEmpty()) {
            return jsc.emptyRDD();
        }
        JavaRDD<SourceRecord> all = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            all = all.union(parts.get(i));
        }
        return all;
    }

    /** Counts (up to the limit) the records of every JSON file, then gives each file what is left of its dataset's budget. */
    private static List<FileTask> limitJsonTasks(
            JavaSparkContext jsc,
            List<FileTask> tasks,
            List<DatasetSpec> specs,
            long limit,
            Broadcast<HadoopConfEntries> confBroadcast) {
        List<Long> counts = jsc.parallelize(tasks, tasks.size())
                .map(task -> {
                    long n = 0;
                    for (Iterator<SourceRecord> it =
                                    openOnExecutor(task, confBroadcast.value().toConfiguration());
                            it.hasNext();
                            it.next()) {
                        n++;
                    }
                    return n;
                })
                .collect();
        List<FileTask> limited = new ArrayList<>();
        int i = 0;
        for (DatasetSpec spec : specs) {
            long left = limit;
            for (int f = 0; f < spec.files().size(); f++, i++) {
                long take = Math.min(left, counts.get(i));
                if (take > 0) {
                    limited.add(tasks.get(i).withLimit(take));
                }
                left -= take;
            }
        }
        return limited;
    }

    /** Opens one JSON file in a task; the stream is closed when exhausted or when the task ends. */
    static Iterator<SourceRecord> openOnExecutor(FileTask task, Configuration conf) {
        if (task.limit() == 0) {
            return Collections.emptyIterator();
        }
        InputStream in;
        try {
            Path path = new Path(task.file());
            in = path.getFileSystem(conf).open(path, 1 << 16);
        } catch (IOException e) {
            return List.of(SourceRecord.failed(
                            task.dataset(),
                            task.file(),
                            -1,
                            null,
                            RejectReason.UNREADABLE_FILE,
                            "cannot open " + task.file() + ": " + e))
                    .iterator();
        }
        SourceFileReader reader = task.format() == FileFormat.JSONL
                ? new JsonLinesReader(task.dataset(), task.file(), in, task.limit())
                : new JsonArrayReader(task.dataset(), task.file(), in, task.limit());
        TaskContext context = TaskContext.get();
        if (context != null) {
            context.addTaskCompletionListener((TaskCompletionListener) ctx -> reader.close());
        }
        return reader;
    }

    private static void readParquet(
            SparkSession spark,
            DatasetSpec spec,
            long limit,
            Configuration conf,
            List<JavaRDD<SourceRecord>> parts,
            List<SourceRecord> driverRecords) {
        List<String> whole = new ArrayList<>();
        String partialFile = null;
        long partialRows = 0;
        long left = limit;
        for (String file : spec.files()) {
            if (left == 0) {
                break;
            }
            long rows;
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file), conf))) {
                rows = reader.getRecordCount();
            } catch (IOException | RuntimeException e) {
                driverRecords.add(SourceRecord.failed(
                        spec.name(),
                        file,
                        -1,
                        null,
                        RejectReason.UNREADABLE_FILE,
                        "cannot read the Parquet footer of " + file + ": " + e));
                left--;
                continue;
            }
            if (rows <= left) {
                whole.add(file);
                left -= rows;
            } else {
                partialFile = file;
                partialRows = left;
                left = 0;
            }
        }
        String dataset = spec.name();
        if (!whole.isEmpty()) {
            parts.add(parquetRecords(spark, dataset, whole, -1));
        }
        if (partialFile != null) {
            parts.add(parquetRecords(spark, dataset, List.of(partialFile), partialRows));
        }
    }

    /** Rows of {@code files} as records; {@code maxRows >= 0} keeps rows with index below it. */
    private static JavaRDD<SourceRecord> parquetRecords(
            SparkSession spark, String dataset, List<String> files, long maxRows) {
        Dataset<Row> df = spark.read().option("mergeSchema", "true").parquet(files.toArray(String[]::new));
        String[] names = df.columns();
        Column[] columns = new Column[names.length];
        for (int i = 0; i < names.length; i++) {
            columns[i] = df.col("`" + names[i].replace("`", "``") + "`");
        }
        Dataset<Row> rows = df.select(
                to_json(struct(columns)).as("text"),
                col("_metadata.file_path").as("file"),
                col("_metadata.row_index").as("row"));
        if (maxRows >= 0) {
            rows = rows.filter(col("row").lt(maxRows));
        }
        // _metadata.file_path is URL-encoded; Path.toString() (how DatasetSpec names files) is not.
        return rows.javaRDD()
                .map(row -> SourceRecord.of(
                        dataset, new Path(new URI(row.getString(1))).toString(), row.getLong(2), row.getString(0)));
    }
}
