package dev.sparktune.trainer.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The ref-logprobs verb's summary, as the CLI prints it and the run report records it under ref_logprobs. */
class RefLogProbsResultTest {
    @Test
    void summaryKeysInOrder() {
        assertEquals(
                "{\"output_table\":\"s3a://b/pairs_ref_logprobs\",\"version\":3,\"source_version\":12,"
                        + "\"documents\":1600,\"tokens\":5000000000,\"seconds\":12.5,\"batch_rows\":4,"
                        + "\"activation_bytes_per_task\":3000000000}",
                new RefLogProbsResult(
                                "s3a://b/pairs_ref_logprobs", 3, 12, 1600, 5_000_000_000L, 12.5, 4, 3_000_000_000L)
                        .toJson()
                        .toString());
    }
}
