/**
 * The {@code run} verb ({@link dev.sparktune.pipeline.run.PipelineRun}): synthetic_data, init_model, prep,
 * ref_logprobs, train, export and eval chained in one driver, each finished stage recorded under a fingerprint of its
 * config in run_state.json ({@link dev.sparktune.pipeline.run.RunState}) so a re-run skips it, and the demo's synthetic
 * datasets.
 */
package dev.sparktune.pipeline.run;
