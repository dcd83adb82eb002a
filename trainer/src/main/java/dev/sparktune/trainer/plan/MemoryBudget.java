package dev.sparktune.trainer.plan;

import dev.sparktune.trainer.TrainerException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bytes one rank may allocate, as the deployment bounds them, and a sentence saying so. Ranks allocate their
 * parameters, gradients, optimizer state and activations with ND4J, outside the JVM heap:
 * <ul>
 *   <li>local mode: every rank runs in this JVM; the budget is what the machine has available and what JavaCPP
 *       lets this process reach ({@code maxPhysicalBytes}, 4 × -Xmx by default), less what it already uses;</li>
 *   <li>YARN and Kubernetes: an executor's container is killed above {@code spark.executor.memory} +
 *       {@code spark.executor.memoryOverhead}; the heap takes the first, so the ranks of an executor share the
 *       overhead (less the JVM's own native baseline);</li>
 *   <li>standalone and local-cluster: nothing caps the container, JavaCPP still caps each executor's resident set
 *       at 4 × spark.executor.memory unless {@code -Dorg.bytedeco.javacpp.maxPhysicalBytes} is in its Java options.</li>
 * </ul>
 * Ranks of one executor: executor cores / spark.task.cpus of them, at most world_size.
 *
 * @param perRank bytes one rank may allocate
 * @param source  where the figure comes from, for messages
 * @param raise   what to change for more
 */
public record MemoryBudget(long perRank, String source, String raise) {
    /** An executor JVM's resident set before any rank allocates (ND4J's and Spark's native libraries, threads). */
    public static final long EXECUTOR_NATIVE_BASELINE = 512L << 20;
    /** What this JVM's heap may still grow by in local mode, kept out of the ranks' budget. */
    public static final long LOCAL_HEAP_MARGIN = 512L << 20;

    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[(\\d+),\\s*(\\d+),\\s*(\\d+)]");
    private static final Pattern MAX_PHYSICAL = Pattern.compile("-Dorg\\.bytedeco\\.javacpp\\.maxPhysicalBytes=(\\S+)");

    /**
     * @param master the Spark master
     * @param conf   the application's Spark settings (flat keys)
     * @param host   this machine and JVM (local mode's budget)
     */
    public static MemoryBudget of(String master, Map<String, String> conf, HostMemory host, int worldSize) {
        int taskCpus = Integer.parseInt(conf.getOrDefault("spark.task.cpus", "1"));
        if (SparkMaster.isLocal(master)) {
            long limit = host.available() + host.processRss();
            String why = "the machine's available memory " + gb(host.available());
            if (host.maxPhysicalBytes() > 0 && host.maxPhysicalBytes() < limit) {
                limit = host.maxPhysicalBytes();
                why = "JavaCPP's maxPhysicalBytes " + gb(host.maxPhysicalBytes()) + " (4 × -Xmx " + gb(host.maxHeap())
                        + " unless set)";
            }
            long free = Math.max(0, limit - host.processRss() - LOCAL_HEAP_MARGIN);
            return new MemoryBudget(
                    free / worldSize,
                    "local mode: " + worldSize + " rank" + (worldSize == 1 ? "" : "s")
                            + " in this JVM share " + gb(free) + " (" + why + ", less this process's "
                            + gb(host.processRss())
                            + " and a " + gb(LOCAL_HEAP_MARGIN) + " heap margin)",
                    "raise the driver memory (--driver-memory:"
                            + " JavaCPP allows 4 × -Xmx) or set -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 in "
                            + "--driver-java-options, on a machine with more memory");
        }
        Matcher cluster = LOCAL_CLUSTER.matcher(master);
        long heap;
        int cores;
        if (cluster.matches()) {
            cores = Integer.parseInt(cluster.group(2));
            heap = Long.parseLong(cluster.group(3)) << 20;
        } else {
            cores = Integer.parseInt(conf.getOrDefault(
                    "spark.executor.cores", master.startsWith("yarn") ? "1" : String.valueOf(taskCpus)));
            heap = bytes(conf.getOrDefault("spark.executor.memory", "1g"));
        }
        int ranksPerExecutor = Math.max(1, Math.min(worldSize, cores / Math.max(1, taskCpus)));
        long javacpp = javacppLimit(conf.getOrDefault("spark.executor.extraJavaOptions", ""), heap);
        long natives = javacpp == 0 ? Long.MAX_VALUE : javacpp - heap - EXECUTOR_NATIVE_BASELINE;
        String javacppWhy = javacpp == 0
                ? ""
                : "JavaCPP's maxPhysicalBytes " + gb(javacpp) + " less the " + gb(heap) + " heap and a "
                        + gb(EXECUTOR_NATIVE_BASELINE) + " native baseline";
        if (master.startsWith("yarn") || master.startsWith("k8s")) {
            String overheadKey = "spark.executor.memoryOverhead";
            double factor = Double.parseDouble(conf.getOrDefault("spark.executor.memoryOverheadFactor", "0.1"));
            long overhead = conf.containsKey(overheadKey)
                    ? bytes(conf.get(overheadKey))
                    : Math.max(384L << 20, (long) (factor * heap));
            long offHeap = Math.max(0, overhead - EXECUTOR_NATIVE_BASELINE);
            boolean javacppBinds = natives < offHeap;
            long usable = Math.min(offHeap, natives);
            return new MemoryBudget(
                    usable / ranksPerExecutor,
                    (master.startsWith("yarn") ? "YARN" : "Kubernetes")
                            + ": ranks allocate outside the heap, inside spark.executor.memoryOverhead " + gb(overhead)
                            + (conf.containsKey(overheadKey)
                                    ? ""
                                    : " (the default: max(384 MB, " + factor + " × spark.executor.memory))")
                            + " less a " + gb(EXECUTOR_NATIVE_BASELINE) + " native baseline"
                            + (javacppBinds ? ", and within " + javacppWhy : "") + ", shared by " + ranksPerExecutor
                            + " rank" + (ranksPerExecutor == 1 ? "" : "s") + " per executor",
                    "raise "
                            + "spark.executor.memoryOverhead (the container is killed above spark.executor.memory + "
                            + "memoryOverhead)" + (javacppBinds ? " and -Dorg.bytedeco.javacpp.maxPhysicalBytes" : ""));
        }
        if (javacpp == 0) {
            return new MemoryBudget(
                    Long.MAX_VALUE,
                    "no limit: JavaCPP's maxPhysicalBytes is 0 in the executors' " + "Java options and " + master
                            + " does not cap executor memory",
                    "");
        }
        return new MemoryBudget(
                Math.max(0, natives) / ranksPerExecutor,
                master + ": " + javacppWhy + ", shared by "
                        + ranksPerExecutor + " rank" + (ranksPerExecutor == 1 ? "" : "s")
                        + " per executor (the workers' own "
                        + "memory is not checked)",
                "raise spark.executor.memory (JavaCPP allows 4 × the heap) or set "
                        + "-Dorg.bytedeco.javacpp.maxPhysicalBytes in spark.executor.extraJavaOptions");
    }

    /** JavaCPP's maxPhysicalBytes of an executor: from its Java options, else maxBytes + 3 × heap = 4 × heap. */
    private static long javacppLimit(String javaOptions, long heap) {
        Matcher m = MAX_PHYSICAL.matcher(javaOptions);
        return m.find() ? bytes(m.group(1)) : 4 * heap;
    }

    /** Spark's and JavaCPP's size strings: 512m, 4g, 2t, 1024k, or plain bytes. */
    static long bytes(String size) {
        String s = size.strip().toLowerCase(Locale.ROOT);
        if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1;
        };
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            return Long.parseLong(digits.strip()) * unit;
        } catch (NumberFormatException e) {
            throw new TrainerException("cannot read the memory size \"" + size + "\" (e.g. 512m, 4g)", e);
        }
    }

    public boolean fits(long bytesPerRank) {
        return bytesPerRank <= perRank;
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
