/**
 * Documents into rows of at most cutoff_len tokens: the deterministic train/eval split
 * ({@link dev.sparktune.preprocess.pack.EvalSplit}), best-fit-decreasing packing
 * ({@link dev.sparktune.preprocess.pack.BestFitPacker}) driven per (split, dataset) by
 * {@link dev.sparktune.preprocess.pack.RowPacker}, and the packed row of the table contract. A preference pair is
 * packed whole. No Spark calls here: {@code PrepJob} runs the packer per partition.
 */
package dev.sparktune.preprocess.pack;
