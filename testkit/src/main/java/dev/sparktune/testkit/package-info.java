/**
 * Test fixtures every module's tests share: the repository root ({@link dev.sparktune.testkit.RepoPaths}), the Python
 * reference stack the parity tests run against ({@link dev.sparktune.testkit.ReferencePython}), a local S3 API
 * ({@link dev.sparktune.testkit.MotoServer}) and the CLI command lines several modules' tests run
 * ({@link dev.sparktune.testkit.CliArgs}). Plain JDK only; fixtures that need the model code live in dl4j-ext's
 * test-jar.
 */
package dev.sparktune.testkit;
