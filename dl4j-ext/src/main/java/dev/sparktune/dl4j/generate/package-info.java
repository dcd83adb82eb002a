/**
 * Text generation for evaluation and demos: {@link dev.sparktune.dl4j.generate.KvCacheDecoder} (the inference
 * forward with a key/value cache) and {@link dev.sparktune.dl4j.generate.Generator} (greedy or sampled decoding
 * with transformers' semantics). Checked token for token against transformers (scripts/goldens/model_generate.py).
 */
package dev.sparktune.dl4j.generate;
