/**
 * Test fixtures every module's tests share: the repository root ({@link dev.sparktune.testkit.RepoPaths}), the Python
 * reference stack the parity tests run against ({@link dev.sparktune.testkit.ReferencePython}) and a local S3 API
 * ({@link dev.sparktune.testkit.MotoServer}). Plain JDK only; fixtures that need the model code live in dl4j-ext's
 * test-jar.
 */
package dev.sparktune.testkit;
