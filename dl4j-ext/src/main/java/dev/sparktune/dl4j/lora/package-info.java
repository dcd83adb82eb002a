/**
 * LoRA in PEFT's format: the settings ({@link dev.sparktune.dl4j.lora.LoraConfig}, LLaMA-Factory's lora_* keys) and
 * {@link dev.sparktune.dl4j.lora.LoraAdapters}: the adapter layout under PEFT's tensor names, PEFT's init, the
 * projection factory that wraps frozen base weights, and reading, writing and merging adapter directories.
 */
package dev.sparktune.dl4j.lora;
