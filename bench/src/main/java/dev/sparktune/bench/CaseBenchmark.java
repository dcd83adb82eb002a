package dev.sparktune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What the benches of {@link ScaleCase}s (the scale ladder, the DPO bench) share: a work folder under bench/target,
 * the {@link CaseRunner} of their child processes, progress lines on stderr under the bench's name, and the run: case
 * by case, each case's results written as it ends (a failed case is reported and the rest go on), then the table.
 */
abstract class CaseBenchmark {
    /** What every bench records of a case. */
    interface Result {
        ScaleCase scaleCase();

        /** The model's parameter count; -1 when its checkpoint could not be made. */
        long params();
    }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final Path work;
    final CaseRunner runner;
    private final String name;
    private final List<ScaleCase> cases;

    /**
     * @param root   the repository root
     * @param name   the bench's name: its folder bench/target/NAME and the prefix of its progress lines
     * @param python the reference environment's interpreter
     * @param cases  in the order they run
     */
    CaseBenchmark(Path root, String name, String python, List<ScaleCase> cases) {
        this.name = name;
        this.work = root.resolve("bench/target").resolve(name);
        this.runner = new CaseRunner(root, python, this::progress);
        this.cases = List.copyOf(cases);
    }

    final void run() throws IOException, InterruptedException {
        Files.createDirectories(work);
        for (int i = 0; i < cases.size(); i++) {
            ScaleCase c = cases.get(i);
            progress("[" + (i + 1) + "/" + cases.size() + "] " + c.label());
            runCase(c);
        }
        printTable();
    }

    /** One case's runs; its results are recorded and written before it returns, a failed step among them. */
    abstract void runCase(ScaleCase c) throws IOException, InterruptedException;

    /** The table of every case's results, for docs/BENCHMARKS.md. */
    abstract void printTable();

    /**
     * Writes results.json into the work folder: per case its label, shape and parameter count, then what
     * {@code fields} adds.
     */
    final <R extends Result> void writeResultsJson(List<R> results, BiConsumer<R, ObjectNode> fields)
            throws IOException {
        ArrayNode cases = JSON.createArrayNode();
        for (R r : results) {
            ObjectNode node = cases.addObject();
            node.put("case", r.scaleCase().label());
            node.put("shape", r.scaleCase().shape().name());
            node.put("params", r.params());
            fields.accept(r, node);
        }
        JSON.writeValue(work.resolve("results.json").toFile(), cases);
    }

    final void progress(String message) {
        System.err.println(name + ": " + message);
    }
}
