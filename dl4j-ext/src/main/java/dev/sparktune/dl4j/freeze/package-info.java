/** Freeze fine-tuning: which of a model's parameters train (LLaMA-Factory's finetuning_type = freeze). */
package dev.sparktune.dl4j.freeze;
