/** safetensors IO: validated reading of single and sharded files (F32/F16/BF16 to fp32) and sharded writing. */
package dev.sparktune.dl4j.safetensors;
