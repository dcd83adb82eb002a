/**
 * Hugging Face model formats: {@code config.json} to {@link dev.sparktune.dl4j.model.ModelConfig} and back, the
 * architecture registry ({@link dev.sparktune.dl4j.model.ModelSpecs}), HF parameter names and shapes
 * ({@link dev.sparktune.dl4j.model.HfParamNames}), model directories ({@link dev.sparktune.dl4j.model.HfModelDir}),
 * and the module's error types ({@link dev.sparktune.dl4j.model.ModelException} and subclasses, worded by
 * {@link dev.sparktune.dl4j.model.ModelErrors}).
 */
package dev.sparktune.dl4j.model;
