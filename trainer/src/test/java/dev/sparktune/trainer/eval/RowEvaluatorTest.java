package dev.sparktune.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sparktune.dl4j.generate.GenerationConfig;
import dev.sparktune.dl4j.model.HfModelDir;
import dev.sparktune.dl4j.model.ModelInit;
import dev.sparktune.dl4j.testkit.TinyModels;
import dev.sparktune.preprocess.encode.TokenizerCache;
import dev.sparktune.preprocess.encode.TokenizerFiles;
import dev.sparktune.trainer.data.TrainRow;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Eval's scoring of packed rows, without Spark: the loss sum and supervised-token count do not depend on how the
 * documents are packed; the question of a document is its last supervised span (trailing stop tokens left out of the
 * reference) prompted with everything before it; fully supervised or unsupervised documents, and documents not
 * sampled, are not asked; batched generation answers as one by one; exact match and contains compare the decoded
 * answer with the decoded reference.
 */
class RowEvaluatorTest {
    static final Path QWEN3 = TinyModels.QWEN3_TOKENIZER;
    static final int IGNORE = -100;
    static final int EOS = 151645; // <|im_end|>
    static HfModelDir.Loaded model;
    static HuggingFaceTokenizer tokenizer;

    @BeforeAll
    static void modelAndTokenizer() {
        model = ModelInit.random(TinyModels.qwen3(), 11, 0.2);
        tokenizer = TokenizerCache.get(TokenizerFiles.load(QWEN3.toString(), new Configuration()));
    }

    private static RowEvaluator evaluator(Set<Long> generateFor, int batchSize, int maxNewTokens) {
        return new RowEvaluator(
                model,
                64,
                16,
                new GenerationConfig(maxNewTokens, Set.of(EOS), 0.0, 0, 1.0, 1),
                tokenizer,
                generateFor,
                batchSize,
                null);
    }

    /** A document: prompt tokens unsupervised, then the answer supervised. */
    private record Doc(long id, int[] ids, int[] labels) {
        static Doc of(long id, int[] prompt, int[] answer) {
            int[] ids = IntStream.concat(Arrays.stream(prompt), Arrays.stream(answer))
                    .toArray();
            int[] labels = ids.clone();
            Arrays.fill(labels, 0, prompt.length, IGNORE);
            return new Doc(id, ids, labels);
        }
    }

    private static void addRow(RowEvaluator e, Doc... docs) {
        int[] ids =
                Arrays.stream(docs).flatMapToInt(d -> Arrays.stream(d.ids())).toArray();
        int[] labels =
                Arrays.stream(docs).flatMapToInt(d -> Arrays.stream(d.labels())).toArray();
        e.add(new TrainRow(
                ids,
                labels,
                Arrays.stream(docs).mapToInt(d -> d.ids().length).toArray(),
                Arrays.stream(docs).mapToLong(Doc::id).toArray(),
                new int[0]));
    }

    static final int[] PROMPT_A = {151644, 872, 198, 3838, 374};
    static final Doc A = Doc.of(1, PROMPT_A, new int[] {220, 19, EOS});
    static final Doc B = Doc.of(2, new int[] {151644, 872, 198, 1207}, new int[] {9454, 11, 1207, EOS, 198});
    static final Doc C = Doc.of(3, new int[] {151644, 872, 198}, new int[] {}); // nothing supervised
    static final Doc D = new Doc(4, new int[] {40, 1079, 264}, new int[] {40, 1079, 264}); // all supervised (pt)

    @Test
    void theLossDoesNotDependOnPacking() {
        RowEvaluator packed = evaluator(Set.of(), 1, 4);
        addRow(packed, A, B, C, D);
        RowEvaluator alone = evaluator(Set.of(), 1, 4);
        for (Doc d : List.of(A, B, C, D)) {
            addRow(alone, d);
        }
        PartitionScore p = packed.score();
        PartitionScore a = alone.score();
        assertEquals(1, p.rows());
        assertEquals(4, a.rows());
        assertEquals(4, p.docs());
        // each position predicts the next token of its own document where that token is supervised: 3 + 5 + 0 + 2
        assertEquals(10, p.supervisedTokens());
        assertEquals(a.supervisedTokens(), p.supervisedTokens());
        assertEquals(a.lossSum(), p.lossSum(), 1e-4 * a.lossSum());
        assertTrue(p.lossSum() > 0);
    }

    @Test
    void aDocumentIsAskedItsLastSupervisedSpan() {
        RowEvaluator e = evaluator(Set.of(1L, 2L, 3L, 4L), 1, 4);
        addRow(e, A, B, C, D);
        List<DocPrediction> asked = e.score().predictions();
        assertEquals(
                List.of(1L, 2L),
                asked.stream().map(DocPrediction::docId).toList(),
                "unsupervised and fully supervised documents have no question");
        DocPrediction b = asked.get(1);
        assertEquals(tokenizer.decode(new long[] {151644, 872, 198, 1207}, false), b.prompt());
        assertEquals(
                tokenizer.decode(new long[] {9454, 11, 1207, EOS, 198}, true).strip(), b.label());
        assertTrue(b.generatedTokens() <= 4);
        RowEvaluator only = evaluator(Set.of(2L), 1, 4);
        addRow(only, A, B);
        assertEquals(
                List.of(2L),
                only.score().predictions().stream().map(DocPrediction::docId).toList(),
                "only the sampled documents");
    }

    @Test
    void batchedAnswersEqualOneByOneAndTheModelsOwnAnswerMatches() {
        RowEvaluator single = evaluator(Set.of(1L, 2L), 1, 6);
        addRow(single, A, B);
        RowEvaluator batched = evaluator(Set.of(1L, 2L), 2, 6);
        addRow(batched, A, B);
        List<DocPrediction> one = single.score().predictions();
        assertEquals(one, batched.score().predictions());
        DocPrediction first = one.get(0);
        assertFalse(first.predict().isEmpty(), "the random model says something: " + first);
        assertEquals(first.label().equals(first.predict()), first.exactMatch());

        // the same prompt with the model's own greedy answer as the reference
        int[] answer = Arrays.stream(
                        tokenizer.encode(first.predict(), false, false).getIds())
                .mapToInt(x -> (int) x)
                .toArray();
        Doc echo = Doc.of(
                9,
                PROMPT_A,
                IntStream.concat(Arrays.stream(answer), IntStream.of(EOS)).toArray());
        RowEvaluator exact = evaluator(Set.of(9L), 1, 6);
        addRow(exact, echo);
        DocPrediction p = exact.score().predictions().get(0);
        assertEquals(first.predict(), p.predict(), "the same prompt, the same greedy answer");
        assertEquals(p.predict(), p.label());
        assertTrue(p.exactMatch() && p.contains(), p.toString());
    }
}
