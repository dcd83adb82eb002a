/**
 * The {@code sparktune} command line on picocli: {@link dev.sparktune.pipeline.cli.SparkTuneCli} (start reading here)
 * and one {@code *Command} per verb, the checks a verb makes before Spark starts (inputs exist:
 * {@link dev.sparktune.pipeline.cli.InputPathCheck}; the dry run's memory plan), the SparkSession a verb runs on, and
 * {@link dev.sparktune.pipeline.cli.FailureHandler}, which maps what a verb threw to exit status 1 or 2.
 */
package dev.sparktune.pipeline.cli;
