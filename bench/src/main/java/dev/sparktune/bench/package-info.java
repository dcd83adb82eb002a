/**
 * Benchmarks (profile bench), each a main class that prints our figures beside the reference measured in the same run:
 * prep throughput ({@link dev.sparktune.bench.PrepBenchmark}), train-step time per fsdp mode
 * ({@link dev.sparktune.bench.TrainStepBenchmark}), collectives, loading, generation, the scale ladder against PEFT
 * ({@link dev.sparktune.bench.ScaleBenchmark}) and DPO against TRL ({@link dev.sparktune.bench.DpoBenchmark}), plus the
 * helpers they share (synthetic corpora and rows, logged child processes, run-log readers, the sizing table). Started
 * by the scripts under bench/; results go to docs/BENCHMARKS.md. Nothing in the product depends on it.
 */
package dev.sparktune.bench;
