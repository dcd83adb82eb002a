package dev.sparktune.trainer.eval;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sparktune.dl4j.generate.Generation;
import dev.sparktune.dl4j.generate.GenerationConfig;
import dev.sparktune.dl4j.generate.Generator;
import dev.sparktune.dl4j.layers.CausalLm;
import dev.sparktune.dl4j.layers.LmHeadLoss;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.trainer.data.PaddedRows;
import dev.sparktune.trainer.data.TrainRow;
import dev.sparktune.trainer.preference.PairScoring;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Scores packed rows of the eval split with one model: the summed cross-entropy of every supervised token (the
 * training loss's numerator, documents never attending to each other), and for the sampled documents a generated
 * answer to the document's last supervised span, prompted with everything before that span. On a table of
 * preference pairs it scores each pair as training does ({@link PairScoring}) and takes the cross-entropy of the
 * chosen responses only (the rejected ones are what the model should not say). Answers are generated
 * {@code batchSize} prompts at a time (LLaMA-Factory's per_device_eval_batch_size), with the same tokens as one by one.
 */
final class RowEvaluator {
    private final CausalLm lm;
    private final Generator generator;
    private final GenerationConfig generation;
    private final HuggingFaceTokenizer tokenizer;
    private final Set<Long> generateFor;
    private final int seqLen;
    private final int batchSize;
    private final List<Question> pending = new ArrayList<>();
    private long rows;
    private long docs;
    private long supervised;
    private double lossSum;
    private final List<DocPrediction> predictions = new ArrayList<>();
    private final PairScoring pairScoring;
    private final double[] pairMetricSums;
    private long pairs;
    private double pairLossSum;

    /** A document waiting for its generated answer: the prompt, and the reference without its stop tokens. */
    private record Question(long docId, int[] prompt, int[] reference) {}

    /**
     * @param generateFor documents answered by generation (empty: loss only)
     * @param batchSize   prompts generated together
     * @param pairScoring how rows of preference pairs are scored; null for rows of single documents
     */
    RowEvaluator(
            HfModelDir.Loaded model,
            int seqLen,
            int lossChunkTokens,
            GenerationConfig generation,
            HuggingFaceTokenizer tokenizer,
            Set<Long> generateFor,
            int batchSize,
            PairScoring pairScoring) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("the generation batch size must be >= 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.lm = new CausalLm(
                model.config(), model.layout(), model.params(), null, 1, seqLen, Math.min(lossChunkTokens, seqLen));
        this.generator = new Generator(model.config(), model.layout(), model.params());
        this.generation = generation;
        this.tokenizer = tokenizer;
        this.generateFor = generateFor;
        this.seqLen = seqLen;
        this.pairScoring = pairScoring;
        this.pairMetricSums = pairScoring == null
                ? null
                : new double[pairScoring.metricNames().size()];
    }

    /** Scores one row of the eval split; every document needs its id (the sample of generated answers). */
    void add(TrainRow packed) {
        int[] inputIds = packed.inputIds();
        int[] labels = packed.labels();
        int[] docLens = packed.docLens();
        long[] docIds = packed.docIds();
        if (docIds.length != docLens.length) {
            throw new IllegalArgumentException(
                    "eval row with " + docLens.length + " documents and " + docIds.length + " doc ids");
        }
        PaddedRows row = PaddedRows.of(inputIds, labels, docLens, seqLen);
        if (pairScoring != null) {
            addPairs(row, docLens, docIds);
        } else {
            long count = CausalLm.supervisedCount(row.targets());
            if (count > 0) {
                lossSum += lm.loss(row.inputIds(), row.targets(), row.packed(), 1.0);
                supervised += count;
            }
        }
        rows++;
        int start = 0;
        for (int d = 0; d < docLens.length; d++) {
            docs++;
            if (generateFor.contains(docIds[d])) {
                answer(
                        docIds[d],
                        Arrays.copyOfRange(inputIds, start, start + docLens[d]),
                        Arrays.copyOfRange(labels, start, start + docLens[d]));
            }
            start += docLens[d];
        }
    }

    /** One forward: each pair's preference terms, and the chosen responses' cross-entropy. */
    private void addPairs(PaddedRows row, int[] docLens, long[] docIds) {
        int[] targets = row.targets();
        double[] logps = new double[targets.length];
        lm.tokenLogProbs(row.inputIds(), targets, row.packed(), logps);
        pairLossSum += pairScoring.scoreRow(
                logps,
                targets,
                0,
                docLens,
                docIds,
                pairMetricSums,
                null,
                1,
                "eval row of documents " + Arrays.toString(docIds));
        pairs += docLens.length / 2;
        int start = 0;
        for (int d = 0; d < docLens.length; d++) {
            for (int i = start; d % 2 == 0 && i < start + docLens[d]; i++) {
                if (targets[i] != LmHeadLoss.IGNORE) {
                    lossSum -= logps[i];
                    supervised++;
                }
            }
            start += docLens[d];
        }
    }

    /** The last run of supervised tokens is the reference; what precedes it is the prompt. */
    private void answer(long docId, int[] ids, int[] labels) {
        int end = labels.length - 1;
        while (end >= 0 && labels[end] == LmHeadLoss.IGNORE) {
            end--;
        }
        if (end < 1) {
            return; // nothing supervised after a prompt: no reference to compare with
        }
        int begin = end;
        while (begin > 0 && labels[begin - 1] != LmHeadLoss.IGNORE) {
            begin--;
        }
        if (begin == 0) {
            return; // the whole document is supervised (train_on_prompt / pt): no prompt to answer
        }
        int[] prompt = Arrays.copyOfRange(ids, 0, begin);
        int[] reference = Arrays.copyOfRange(ids, begin, end + 1);
        int refEnd = reference.length;
        while (refEnd > 0 && generation.stopTokenIds().contains(reference[refEnd - 1])) {
            refEnd--;
        }
        pending.add(new Question(docId, prompt, Arrays.copyOf(reference, refEnd)));
        if (pending.size() == batchSize) {
            generatePending();
        }
    }

    private void generatePending() {
        if (pending.isEmpty()) {
            return;
        }
        List<Generation> answers =
                generator.generate(pending.stream().map(Question::prompt).toList(), generation);
        for (int i = 0; i < pending.size(); i++) {
            Question q = pending.get(i);
            Generation g = answers.get(i);
            String predict = decode(g.content(), true).strip();
            String label = decode(q.reference(), true).strip();
            predictions.add(new DocPrediction(
                    q.docId(),
                    decode(q.prompt(), false),
                    predict,
                    label,
                    predict.equals(label),
                    !label.isEmpty() && predict.contains(label),
                    g.tokens().length,
                    g.reason() == Generation.StopReason.STOP_TOKEN));
        }
        pending.clear();
    }

    private String decode(int[] ids, boolean skipSpecial) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, skipSpecial);
    }

    PartitionScore score() {
        generatePending();
        return new PartitionScore(
                rows,
                docs,
                supervised,
                lossSum,
                List.copyOf(predictions),
                pairs,
                pairLossSum,
                pairMetricSums == null ? new double[0] : pairMetricSums.clone());
    }
}
