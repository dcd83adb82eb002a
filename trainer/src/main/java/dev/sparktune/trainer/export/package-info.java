/**
 * The {@code export} verb ({@link dev.sparktune.trainer.export.ModelExport}), on the driver: the base model with the
 * LoRA adapter merged in, written as an HF model directory transformers loads, or the PEFT adapter files copied.
 */
package dev.sparktune.trainer.export;
