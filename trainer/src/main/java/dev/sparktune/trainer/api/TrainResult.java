package dev.sparktune.trainer.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparktune.trainer.task.HeldBytes;
import dev.sparktune.trainer.task.StepMetrics;
import java.util.List;

/**
 * A finished training run.
 *
 * @param outputDir     where the model or adapter and trainer_log.jsonl were written
 * @param tableVersion  the pinned Delta version trained on
 * @param firstStep     the 0-based step the final attempt started at (0, or the resumed checkpoint's step count)
 * @param steps         the metrics of every step from firstStep on (from rank 0; identical on all ranks)
 * @param heldPerRank   bytes of parameters / gradients / optimizer state each rank held
 * @param gpuAddresses  the GPU Spark assigned each rank's task, by rank (train.device = gpu); empty for cpu
 * @param seconds       wall time of the barrier stage
 */
public record TrainResult(
        String outputDir,
        long tableVersion,
        int firstStep,
        List<StepMetrics> steps,
        List<HeldBytes> heldPerRank,
        List<String> gpuAddresses,
        double seconds) {
    /** The last step's loss; NaN when the run resumed from a checkpoint of its final step (no step ran). */
    public double finalLoss() {
        return steps.isEmpty() ? Double.NaN : steps.get(steps.size() - 1).loss();
    }

    /** The summary the train verb prints and the run verb records. */
    public ObjectNode toJson() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("output_dir", outputDir);
        root.put("table_version", tableVersion);
        root.put("first_step", firstStep);
        root.put("steps_run", steps.size());
        if (!steps.isEmpty()) {
            root.put("total_steps", steps.get(steps.size() - 1).step() + 1);
            root.put("first_loss", steps.get(0).loss());
            root.put("final_loss", finalLoss());
        }
        root.put("train_seconds", seconds);
        if (!gpuAddresses.isEmpty()) {
            gpuAddresses.forEach(root.putArray("gpu_addresses")::add);
        }
        ArrayNode held = root.putArray("held_bytes_per_rank");
        for (HeldBytes h : heldPerRank) {
            held.addObject()
                    .put("params", h.params())
                    .put("grads", h.grads())
                    .put("optimizer_state", h.optimizerState())
                    .put("activations", h.activations());
        }
        return root;
    }
}
