/**
 * Model math on ND4J: one class per layer with {@code forward} (caches what backward needs) and {@code backward}
 * (returns the input gradient and ADDS into parameter gradients), activation buffers sized once per (B, T), GEMMs
 * into preallocated outputs ({@link dev.sparktune.dl4j.layers.Gemm}), parameters as views of one flat buffer
 * ({@link dev.sparktune.dl4j.layers.LayerParams}). {@link dev.sparktune.dl4j.layers.CausalLm} assembles them into
 * a decoder of any supported family on packed rows ({@link dev.sparktune.dl4j.layers.PackedBatch}).
 * Every layer is checked against PyTorch autograd goldens (scripts/goldens/model_*.py) and naive-loop oracles.
 */
package dev.sparktune.dl4j.layers;
