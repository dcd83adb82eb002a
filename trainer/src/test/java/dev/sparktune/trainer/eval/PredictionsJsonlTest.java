package dev.sparktune.trainer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * generated_predictions.jsonl as LLaMA-Factory users read it: one object a line, these keys in this order, the
 * generated token count left out.
 */
class PredictionsJsonlTest {
    @Test
    void oneObjectPerPredictionWithTheKeysInOrder() throws IOException {
        List<DocPrediction> predictions = List.of(
                new DocPrediction(42, "<|im_start|>user\n\"2+2\"?", "4", "4", true, true, 3, true),
                new DocPrediction(-7, "é\t", "", "five", false, false, 16, false));
        assertEquals("""
                {"doc_id":42,"prompt":"<|im_start|>user\\n\\"2+2\\"?","predict":"4","label":"4","exact_match":true,\
                "contains":true,"stopped":true}
                {"doc_id":-7,"prompt":"é\\t","predict":"","label":"five","exact_match":false,"contains":false,\
                "stopped":false}
                """, EvalJob.predictionsJsonl(predictions));
    }

    @Test
    void noPredictionsNoLines() throws IOException {
        assertEquals("", EvalJob.predictionsJsonl(List.of()));
    }
}
