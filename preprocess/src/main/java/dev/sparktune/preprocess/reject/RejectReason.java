package dev.sparktune.preprocess.reject;

/**
 * Why an input record did not become a training document. Every input record ends as a document or as exactly one
 * reject with one of these codes; the stats report counts rejects per code.
 */
public enum RejectReason {
    /** The file could not be read at all (permissions, corrupt Parquet, ...). */
    UNREADABLE_FILE,
    /** The bytes of a line/record are not valid UTF-8. */
    INVALID_UTF8,
    /** The line or file is not valid JSON. */
    MALFORMED_JSON,
    /** A field the dataset's format requires is absent or null. */
    MISSING_FIELD,
    /** A field has the wrong JSON type (e.g. a number where text is required). */
    WRONG_TYPE,
    /** No turns, or no assistant turn to learn from. */
    EMPTY_CONVERSATION,
    /** Roles out of order (e.g. two user turns in a row, conversation not ending with the assistant). */
    ROLE_ORDER,
    /** A role/tag value the dataset's tag mapping does not know. */
    UNKNOWN_ROLE,
    /** The chat template raised an error or could not place the assistant turns. */
    TEMPLATE_ERROR,
    /** Longer than cutoff_len tokens and the overlong policy is {@code reject}. */
    TOO_LONG,
    /** After masking and truncation no token carries a label. */
    NO_SUPERVISED_TOKENS
}
