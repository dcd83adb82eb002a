package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.PreprocessException;
import java.io.Serializable;

/**
 * Which top-level keys of a record hold what (LLaMA-Factory {@code dataset_info.json} {@code columns}). A
 * {@code null} column is not read. As in LLaMA-Factory, when an entry has a {@code columns} object, the columns it
 * does not name are {@code null}, not their defaults.
 *
 * @param prompt   alpaca instruction (default {@code instruction}); for {@code stage=pt} the text column
 * @param query    alpaca input, appended to the instruction after a newline (default {@code input})
 * @param response alpaca output (default {@code output})
 * @param history  alpaca list of [prompt, response] pairs before the instruction (default none)
 * @param messages sharegpt list of turns (default {@code conversations})
 * @param system   system prompt (default none)
 * @param tools    tool definitions: a JSON array, or a string holding one (default none)
 * @param chosen   ranking datasets: the preferred response (alpaca: a string; sharegpt: one assistant turn)
 * @param rejected ranking datasets: the dispreferred response, of the same form
 */
public record ColumnMapping(
        String prompt,
        String query,
        String response,
        String history,
        String messages,
        String system,
        String tools,
        String chosen,
        String rejected)
        implements Serializable {

    /** The columns of an alpaca-format dataset without preference columns. */
    public static ColumnMapping alpaca(
            String prompt, String query, String response, String history, String system, String tools) {
        return new ColumnMapping(prompt, query, response, history, null, system, tools, null, null);
    }

    /** The columns of a sharegpt-format dataset without preference columns. */
    public static ColumnMapping sharegpt(String messages, String system, String tools) {
        return new ColumnMapping(null, null, null, null, messages, system, tools, null, null);
    }

    /** LLaMA-Factory's defaults, used when a dataset_info.json entry has no {@code columns}. */
    public static ColumnMapping defaults() {
        return new ColumnMapping("instruction", "input", "output", null, "conversations", null, null, null, null);
    }

    /** For {@code stage=pt}: one text column, nothing else. */
    public static ColumnMapping text(String column) {
        if (column == null || column.isEmpty()) {
            throw new PreprocessException("the text column name must not be empty");
        }
        return new ColumnMapping(column, null, null, null, null, null, null, null, null);
    }
}
