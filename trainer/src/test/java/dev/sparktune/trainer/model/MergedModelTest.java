package dev.sparktune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.lora.LoraAdapters;
import dev.sparktune.dl4j.lora.LoraConfig;
import dev.sparktune.dl4j.model.HfConfigWriter;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelConfig;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.params.ParamLayout;
import dev.sparktune.dl4j.safetensors.SafetensorsWriter;
import dev.sparktune.dl4j.safetensors.TensorDType;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.reference.DocumentLogProbs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the reference pass scores with: a bf16 checkpoint's frozen weights held as stored and a reference adapter
 * run beside them unmerged give the log-probs of the fp32 model with the adapter merged in, the first exactly.
 */
class MergedModelTest {
    private static final int SEQ = 24;
    private static final int ROWS = 2;

    @TempDir
    static Path dir;

    /** Two packed rows of two documents each, the first half of each document masked as a prompt. */
    private static List<TrainRow> rows(int vocab) {
        Random random = new Random(3);
        List<TrainRow> rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            int[] lens = {10, 14};
            int[] ids = new int[SEQ];
            int[] labels = new int[SEQ];
            int at = 0;
            for (int len : lens) {
                for (int t = 0; t < len; t++) {
                    ids[at + t] = 1 + random.nextInt(vocab - 1);
                    labels[at + t] = t < len / 2 ? LmHeadLoss.IGNORE : ids[at + t];
                }
                at += len;
            }
            rows.add(new TrainRow(ids, labels, lens, new long[] {2L * r, 2L * r + 1}, new int[0]));
        }
        return rows;
    }

    /** Each document's summed log-prob of its supervised tokens, and their count. */
    private record Scores(double[] sums, int[] counts) {}

    private static Scores score(DocumentLogProbs scorer, List<TrainRow> rows) {
        Scores scores = new Scores(new double[2 * ROWS], new int[2 * ROWS]);
        scorer.score(rows, scores.sums(), scores.counts());
        return scores;
    }

    /** {@link #score} with a {@link MergedModel#forwardOnly} model, closed after: its weights are freed then. */
    private static Scores score(MergedModel.Scorer model, List<TrainRow> rows) {
        Scores scores;
        try (model) {
            scores = score(new DocumentLogProbs(model.lm(), ROWS, SEQ), rows);
        }
        assertTrue(model.weights().stream().allMatch(INDArray::wasClosed), "closing frees the weights");
        return scores;
    }

    /** {@link #score} with {@link MergedModel#load}'s fp32 model, as export and generation hold it. */
    private static Scores scoreFp32(HfModelDir.Loaded model, List<TrainRow> rows) {
        return score(new DocumentLogProbs(CausalLm.forwardOnly(model, ROWS, SEQ, 16), ROWS, SEQ), rows);
    }

    @Test
    void aBf16CheckpointScoresAsItsFp32CopyAndAnUnmergedAdapterAsTheMergedModel() {
        ModelConfig config = TinyModels.qwen3();
        HfModelDir.Loaded fp32 = ModelInit.random(config, 11, 0.3);
        // the checkpoint ships bf16 (as the hub does, rounded once when written); the merged model widens it to fp32
        Path model = dir.resolve("bf16-model");
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (ParamLayout.Entry e : fp32.layout().entries()) {
            tensors.put(e.name(), fp32.layout().view(fp32.params(), e.name()));
        }
        SafetensorsWriter.builder().dtype(TensorDType.BF16).build().write(model, tensors);
        HfConfigWriter.write(config, model);
        assertEquals(DataType.BFLOAT16, HfModelDir.open(model).storedDataType(), "the checkpoint is bf16");

        // a trained-looking adapter: A as PEFT initialises it, B random (a fresh B = 0 would hide the adapter)
        LoraConfig lora = LoraConfig.of(4, 8, 0.1, "all", false);
        LoraAdapters adapters = new LoraAdapters(config, lora, 0L);
        INDArray adapterParams = adapters.init(5);
        for (var e : adapters.layout().entries()) {
            if (e.name().endsWith("lora_B.weight")) {
                adapters.layout()
                        .view(adapterParams, e.name())
                        .assign(Nd4j.rand(DataType.FLOAT, e.shape()).subi(0.5).muli(0.2));
            }
        }
        Path adapter = dir.resolve("adapter");
        adapters.save(adapter, adapterParams, model.toString());

        Configuration conf = new Configuration();
        List<TrainRow> rows = rows(config.vocabSize());
        Scores baseAsStored = score(MergedModel.forwardOnly(model.toString(), "", conf, ROWS, SEQ, 16), rows);
        Scores baseFp32 = scoreFp32(MergedModel.load(model.toString(), "", conf), rows);
        assertArrayEquals(baseFp32.counts(), baseAsStored.counts(), "supervised tokens");
        assertArrayEquals(baseFp32.sums(), baseAsStored.sums(), 0.0, "widening bf16 is exact: the same products");

        Scores unmerged =
                score(MergedModel.forwardOnly(model.toString(), adapter.toString(), conf, ROWS, SEQ, 16), rows);
        Scores merged = scoreFp32(MergedModel.load(model.toString(), adapter.toString(), conf), rows);
        assertArrayEquals(merged.counts(), unmerged.counts(), "supervised tokens");
        double worst = 0;
        for (int d = 0; d < merged.sums().length; d++) {
            worst = Math.max(worst, Math.abs(merged.sums()[d] - unmerged.sums()[d]) / merged.counts()[d]);
            // the adapter moved the scores: the comparison is not base against base
            assertTrue(Math.abs(merged.sums()[d] - baseFp32.sums()[d]) > 1e-3, "doc " + d + ": the adapter changes it");
        }
        assertTrue(worst < 1e-5, "unmerged vs merged, per supervised token: " + worst);
    }
}
