package dev.sparktune.trainer.checkpoint;

import dev.sparktune.dl4j.params.ParamLayout;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What makes a checkpoint's state continue THIS run: resuming with another table, trainable layout, global batch or
 * seed would silently train something else, so such a checkpoint is refused. The world size, sharding and step count
 * may change (the plan's rows per step do not depend on them; a longer run only extends the schedule).
 *
 * @param table            qualified path of the packed table
 * @param tableVersion     the pinned Delta version
 * @param baseModel        the base model directory's fingerprint ({@code HadoopModelDir.fingerprint}), and the
 *                         adapter's a run continues ({@code AdapterDirectory.fingerprint})
 * @param finetuningType   full or lora
 * @param trainableDigest  sha256 of the trainable layout (names and shapes, in order), LoRA settings included
 * @param trainableLength  elements of the flat trainable buffer
 * @param globalBatchRows  rows per optimizer step
 * @param seed             data-order and initialisation seed
 */
public record RunIdentity(
        String table,
        long tableVersion,
        String baseModel,
        String finetuningType,
        String trainableDigest,
        long trainableLength,
        int globalBatchRows,
        long seed)
        implements Serializable {
    public RunIdentity {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(baseModel, "baseModel");
        Objects.requireNonNull(finetuningType, "finetuningType");
        Objects.requireNonNull(trainableDigest, "trainableDigest");
    }

    /**
     * The identity of a run training {@code layout} (the trainable parameters) on {@code table}@{@code tableVersion};
     * {@code finetuning} describes what scales the update beyond the layout (LoRA alpha, rsLoRA, dropout).
     */
    public static RunIdentity of(
            String table,
            long tableVersion,
            String baseModel,
            String finetuning,
            ParamLayout layout,
            int globalBatchRows,
            long seed) {
        StringBuilder names = new StringBuilder();
        for (ParamLayout.Entry e : layout.entries()) {
            names.append(e.name()).append(Arrays.toString(e.shape())).append('\n');
        }
        return new RunIdentity(
                table,
                tableVersion,
                baseModel,
                finetuning,
                Sha256.of(names.toString().getBytes(StandardCharsets.UTF_8)),
                layout.totalLength(),
                globalBatchRows,
                seed);
    }

    /** Differences from a checkpoint's identity ("seed: 3 in the checkpoint, 4 now"); empty if none. */
    public List<String> differencesFrom(RunIdentity checkpoint) {
        List<String> out = new ArrayList<>();
        diff(out, "table", checkpoint.table, table);
        diff(out, "table version", checkpoint.tableVersion, tableVersion);
        diff(
                out,
                "base model (config.json and weights sample; and adapter_name_or_path's adapter)",
                checkpoint.baseModel,
                baseModel);
        diff(out, "finetuning_type", checkpoint.finetuningType, finetuningType);
        diff(
                out,
                "trainable parameters (layout sha256; LoRA rank/targets)",
                checkpoint.trainableDigest,
                trainableDigest);
        diff(out, "global batch rows", checkpoint.globalBatchRows, globalBatchRows);
        diff(out, "seed", checkpoint.seed, seed);
        return out;
    }

    private static void diff(List<String> out, String what, Object inCheckpoint, Object now) {
        if (!inCheckpoint.equals(now)) {
            out.add(what + ": " + inCheckpoint + " in the checkpoint, " + now + " now");
        }
    }
}
