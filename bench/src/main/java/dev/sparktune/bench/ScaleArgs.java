package dev.sparktune.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line of the benchmarks that run {@link ScaleCase}s against a Python reference (the scale ladder, the
 * DPO bench): the options they share, each bench's own options kept as text for it to read, and the case specs.
 *
 * @param python       --python, the reference environment's interpreter (required)
 * @param steps        --steps, measured steps of every case; 0: each shape's own
 * @param perStep      the bench's per-step batch option (--rows, --pairs), default 2
 * @param driverMemory --driver-memory, or null
 * @param oneRank      --one-rank: a shape's cases again at 1 rank
 * @param own          the bench's own options that were given, by name; a flag's value is "true"
 * @param specs        the case specs, in order (empty: the bench's defaults)
 */
record ScaleArgs(
        String python,
        int steps,
        int perStep,
        String driverMemory,
        boolean oneRank,
        Map<String, String> own,
        List<String> specs) {

    /**
     * @param perStepOption the name of the per-step batch option
     * @param ownValued     the bench's own options that take a value
     * @param ownFlags      the bench's own options that take none
     */
    static ScaleArgs parse(String[] args, String perStepOption, List<String> ownValued, List<String> ownFlags) {
        String python = null;
        int steps = 0;
        int perStep = 2;
        String driverMemory = null;
        boolean oneRank = false;
        Map<String, String> own = new LinkedHashMap<>();
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals(perStepOption)) {
                perStep = atLeastOne(arg, args[++i]);
                continue;
            }
            if (ownValued.contains(arg)) {
                own.put(arg, args[++i]);
                continue;
            }
            if (ownFlags.contains(arg)) {
                own.put(arg, "true");
                continue;
            }
            switch (arg) {
                case "--python" -> python = args[++i];
                case "--steps" -> steps = atLeastOne("--steps", args[++i]);
                case "--driver-memory" -> driverMemory = args[++i];
                case "--one-rank" -> oneRank = true;
                default -> {
                    if (arg.startsWith("--")) {
                        List<String> known = new ArrayList<>(List.of("--python", "--steps", perStepOption));
                        known.addAll(ownValued);
                        known.addAll(List.of("--driver-memory", "--one-rank"));
                        known.addAll(ownFlags);
                        throw new IllegalArgumentException(
                                "unknown option " + arg + "; known: " + String.join(", ", known));
                    }
                    specs.add(arg);
                }
            }
        }
        if (python == null) {
            throw new IllegalArgumentException("--python (the reference environment's interpreter) is required");
        }
        return new ScaleArgs(python, steps, perStep, driverMemory, oneRank, Map.copyOf(own), List.copyOf(specs));
    }

    private static int atLeastOne(String option, String value) {
        int n = Integer.parseInt(value);
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + n);
        }
        return n;
    }
}
