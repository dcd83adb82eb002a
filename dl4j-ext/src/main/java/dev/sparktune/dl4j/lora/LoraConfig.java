package dev.sparktune.dl4j.lora;

import java.io.Serializable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * LoRA settings (LLaMA-Factory's lora_rank, lora_alpha, lora_dropout, lora_target, use_rslora).
 *
 * @param rank    R
 * @param alpha   scaling numerator
 * @param dropout dropout on the adapter input, in [0, 1)
 * @param targets projection names as PEFT spells them (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj,
 *                down_proj; Phi-3's fused qkv_proj, gate_up_proj); see {@link #of}. Which exist depends on the model
 *                family: {@code LoraAdapters.targetedProjections} checks them against it
 * @param rsLora  scale by alpha / sqrt(R) instead of alpha / R
 */
public record LoraConfig(int rank, double alpha, double dropout, Set<String> targets, boolean rsLora)
        implements Serializable {
    /**
     * Every projection name of every family, in layer order ({@code lora_target = all}: a model's adapters then
     * cover each of its own projections).
     */
    public static final List<String> ALL = List.of(
            "q_proj", "k_proj", "v_proj", "qkv_proj", "o_proj", "gate_proj", "up_proj", "gate_up_proj", "down_proj");

    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("lora_rank must be > 0, got " + rank);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("lora_alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("lora_target must name at least one projection of " + ALL);
        }
        for (String t : targets) {
            if (!ALL.contains(t)) {
                throw new IllegalArgumentException(
                        "lora_target \"" + t + "\" is not a projection; known: " + ALL + " or \"all\"");
            }
        }
        targets = Set.copyOf(new LinkedHashSet<>(targets));
    }

    /** Targets from a comma-separated lora_target ("all" = every projection). */
    public static LoraConfig of(int rank, double alpha, double dropout, String loraTarget, boolean rsLora) {
        Set<String> t = new LinkedHashSet<>();
        for (String part : loraTarget.split(",")) {
            String name = part.strip();
            if (name.equals("all")) {
                t.addAll(ALL);
            } else if (!name.isEmpty()) {
                t.add(name);
            }
        }
        return new LoraConfig(rank, alpha, dropout, t, rsLora);
    }

    /** The targets as {@link #of} reads them: "all", or the projections in layer order, comma-separated. */
    public String loraTarget() {
        return all()
                ? "all"
                : String.join(",", ALL.stream().filter(targets::contains).toList());
    }

    /** Whether every projection is targeted ({@code lora_target = all}). */
    public boolean all() {
        return targets.containsAll(ALL);
    }

    public double scaling() {
        return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    public boolean targets(String projection) {
        return targets.contains(projection);
    }
}
