package dev.sparktune.trainer.eval;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.Serializable;

/**
 * One generated answer: the document's prompt (everything before its last supervised span, decoded with special
 * tokens), the model's answer and the reference (that span), both decoded without special tokens and stripped.
 * Jackson writes it as a line of generated_predictions.jsonl: the components in order, snake_case (LLaMA-Factory's
 * predict and label among them), all but the token count.
 *
 * @param exactMatch      predict equals label
 * @param contains        label is not empty and predict contains it
 * @param generatedTokens tokens generated (not in the file)
 * @param stopped         generation ended on a stop token (else it hit max_new_tokens)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DocPrediction(
        long docId,
        String prompt,
        String predict,
        String label,
        boolean exactMatch,
        boolean contains,
        @JsonIgnore int generatedTokens,
        boolean stopped)
        implements Serializable {}
