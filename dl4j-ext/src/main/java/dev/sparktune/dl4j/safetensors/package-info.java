/**
 * safetensors IO: validated reading of single and sharded files, memory-mapped straight into FLOAT / BFLOAT16 / HALF
 * arrays (bf16 and fp16 widen exactly to fp32), and sharded writing.
 */
package dev.sparktune.dl4j.safetensors;
