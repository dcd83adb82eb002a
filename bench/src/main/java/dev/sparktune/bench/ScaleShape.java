package dev.sparktune.bench;

import java.util.List;

/**
 * A model size of the scale ladder: a shape {@code scripts/bench/make_scale_checkpoint.py} knows, with the cutoff,
 * measured steps and driver memory its cases run at unless the command line says otherwise.
 *
 * @param name         the shape as make_scale_checkpoint.py names it
 * @param cutoff       tokens per row (data.cutoff_len; PEFT's --seq)
 * @param steps        measured steps after the warm-up step
 * @param driverMemory -Xmx of our train JVM; JavaCPP lets the ranks' native buffers reach 4 times it
 * @param fullFinetune whether the default cases include full fine-tuning (issue: only the smallest real size)
 */
record ScaleShape(String name, int cutoff, int steps, String driverMemory, boolean fullFinetune) {
    /** tiny validates the harness end to end in a few minutes; the Qwen3 sizes are the ladder. */
    static final List<ScaleShape> KNOWN = List.of(
            new ScaleShape("tiny", 256, 1, "3g", true),
            new ScaleShape("qwen3-0.6b", 1024, 2, "6g", true),
            new ScaleShape("qwen3-1.7b", 1024, 2, "6g", false),
            // 4B at cutoff 2048, as the issue asks: its rows are the length the larger models are tuned at
            new ScaleShape("qwen3-4b", 2048, 2, "6g", false));

    ScaleShape {
        if (cutoff < 2 || steps < 1) {
            throw new IllegalArgumentException(
                    "shape " + name + ": cutoff must be >= 2 and steps >= 1, got " + cutoff + " and " + steps);
        }
    }

    /** The known shape of this name; an unknown one is rejected with the list of known ones. */
    static ScaleShape of(String name) {
        return KNOWN.stream()
                .filter(s -> s.name.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown shape '" + name + "'; known: "
                        + KNOWN.stream().map(ScaleShape::name).toList()));
    }
}
