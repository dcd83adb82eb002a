package dev.sparktune.trainer.task;

import dev.sparktune.dl4j.layers.AdapterSwitch;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.trainer.checkpoint.CheckpointManifest;
import dev.sparktune.trainer.checkpoint.StatePiece;
import dev.sparktune.trainer.checkpoint.StateReader;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How one rank holds the trainable state (parameters, gradients, AdamW moments) and synchronises it with the other
 * ranks: the fsdp strategies. The model, the data and the loss are the same for all of them; {@link RankTrainer}
 * drives a step through this interface. Methods marked collective must be called by every rank in the same order.
 */
interface TrainingState extends AutoCloseable {
    /** The model whose forward/backward adds into this state's gradients. */
    CausalLm model();

    /** Turns the model's LoRA adapters off and on (PEFT's disable_adapter()); null when it has none. */
    AdapterSwitch adapterSwitch();

    /** Zeroes the gradients before a step's micro-batches. */
    void zeroGrads();

    /**
     * Before each micro-batch's forward: its rows' global indices (fewer than the batch when padded), so that
     * randomness (LoRA dropout) depends on (step, row) only, not on the world size or a resume.
     */
    default void beforeMicroBatch(int step, long[] rowIds, int batchRows) {}

    /**
     * Collective. Synchronises the gradients of the step, computes the global gradient norm, stops (before any
     * update) when the loss or the norm is not finite, clips and updates. Returns the norm before clipping.
     *
     * @throws NonFiniteLossException the loss or the norm is NaN or infinite
     */
    double synchroniseAndUpdate(int step, double loss, double lr);

    /** Elements of the flat trainable layout (what a checkpoint holds). */
    long trainableLength();

    /** The ranges of the flat state this rank writes into a checkpoint (views of its buffers). */
    List<StatePiece> checkpointPieces();

    /** The ranges rank {@code rank} writes (same rule as {@link #checkpointPieces}, for the manifest). */
    List<CheckpointManifest.Range> checkpointRanges(int rank);

    /** Replaces parameters, this rank's moments and the optimizer step count with a checkpoint's. */
    void restore(StateReader reader);

    /** AdamW steps taken. */
    long optimizerSteps();

    /** Collective. All trainable parameters in layout order (a new gathered buffer where they are sharded). */
    INDArray trainableParams();

    /**
     * Collective. Writes the model (full) or PEFT adapter (lora) into local {@code dir}; ranks passing null only take
     * part in gathering.
     */
    List<Path> save(Path dir, Path tokenizerDir, String baseModelPath);

    /** Bytes this rank holds for parameters, gradients and optimizer state. */
    HeldBytes heldBytes();

    @Override
    void close();

    /** Throws when a step's loss or gradient norm is not finite. */
    static void checkFinite(int step, double loss, double gradNorm) {
        if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
            throw new NonFiniteLossException(step, loss, gradNorm);
        }
    }
}
