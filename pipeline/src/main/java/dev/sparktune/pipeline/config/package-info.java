/**
 * Configuration loading: reference.conf, the user's HOCON file or LLaMA-Factory arguments file
 * ({@link dev.sparktune.pipeline.config.LlamaFactoryArgs}) and {@code --set} overrides, merged, checked against the
 * known keys and read by one {@code *Section} reader per component into the typed configs of preprocess and trainer.
 * {@link dev.sparktune.pipeline.config.SparkTuneConfig#load} is the entry point; every problem is collected and thrown
 * together as one {@link dev.sparktune.pipeline.config.ConfigException} before any Spark work starts. No Spark here.
 */
package dev.sparktune.pipeline.config;
