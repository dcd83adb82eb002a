package dev.sparktune.bench;

import dev.sparktune.dl4j.model.HfModelDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Time to load a model directory into one flat buffer of DTYPE ({@code HfModelDir.open(dir).load(layout, dtype)}), as
 * a rank does, in a JVM that has done nothing else: ND4J is initialized first and not timed, as transformers' import
 * is not timed by scripts/bench/load_reference.py. Prints one JSON line: load_s, params, dtype, steady_rss_gb (after
 * the load: the JVM plus the parameters), peak_rss_gb (VmHWM) and their difference, which the loader keeps below one
 * shard.
 *
 * <p>Usage: {@code LoadBenchmark MODEL_DIR FLOAT|BFLOAT16|HALF}
 */
public final class LoadBenchmark {
    private LoadBenchmark() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        DataType dtype = DataType.valueOf(args[1]);
        Nd4j.create(1);
        long t0 = System.nanoTime();
        HfModelDir.Stored stored = HfModelDir.open(dir);
        HfModelDir.Loaded loaded = stored.load(stored.layout(), dtype);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double steady = statusGb("VmRSS");
        double peak = statusGb("VmHWM");
        System.out.println(String.format(
                Locale.ROOT,
                "{\"load_s\": %.3f, \"params\": %d, \"dtype\": \"%s\","
                        + " \"stored\": \"%s\", \"steady_rss_gb\": %.3f, \"peak_rss_gb\": %.3f, \"peak_over_steady_gb\":"
                        + " %.3f}",
                seconds,
                loaded.params().length(),
                dtype,
                stored.dtype(),
                steady,
                peak,
                peak - steady));
    }

    private static double statusGb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / (double) (1 << 20);
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }
}
